// Scoping board: drag a card onto another column to move it. The drop submits the card's own
// move form (the same form and rule as choosing a status and pressing Move), so the server decides.
(function () {
  var board = document.querySelector(".scoping-board");
  if (!board) { return; }
  var dragged = null;

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest(".board-card[draggable=true]") : null;
    if (!card) { return; }
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.moveForm);
  });

  board.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    board.querySelectorAll(".drop-target").forEach(function (column) { column.classList.remove("drop-target"); });
  });

  function columnOf(event) {
    return event.target.closest ? event.target.closest(".board-column") : null;
  }

  board.addEventListener("dragover", function (event) {
    var column = columnOf(event);
    if (!dragged || !column || column.dataset.status === dragged.dataset.status) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("drop-target");
  });

  board.addEventListener("dragleave", function (event) {
    var column = columnOf(event);
    if (column && !column.contains(event.relatedTarget)) { column.classList.remove("drop-target"); }
  });

  board.addEventListener("drop", function (event) {
    var column = columnOf(event);
    if (!dragged || !column || column.dataset.status === dragged.dataset.status) { return; }
    event.preventDefault();
    var form = document.getElementById(dragged.dataset.moveForm);
    if (!form) { return; }
    form.querySelector("select[name=status]").value = column.dataset.status;
    column.classList.remove("drop-target");
    column.querySelector(".board-drop").appendChild(dragged);
    form.requestSubmit ? form.requestSubmit() : form.submit();
  });
})();
