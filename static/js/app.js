// Project behaviour that is not expressed as htmx attributes.
document.addEventListener("htmx:responseError", function (event) {
  var box = document.getElementById("messages");
  if (!box) { return; }
  var alert = document.createElement("div");
  alert.className = "alert alert-danger";
  alert.setAttribute("role", "alert");
  alert.textContent = event.detail.xhr.status === 403
    ? "You are not allowed to do that."
    : "Something went wrong saving your change (" + event.detail.xhr.status + "). Nothing was changed; please reload.";
  box.appendChild(alert);
});
