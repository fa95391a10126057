// Sortable tables: every <table data-sortable> gets a button in each column heading.
// Cells carry their raw value in data-value (numbers sort as numbers, not as "3.5 M" text).
// Buttons are keyboard accessible; the sorted column's <th> carries aria-sort.
(function () {
  function cellValue(row, col) {
    const raw = row.cells[col].dataset.value;
    const num = Number(raw);
    return raw !== "" && !Number.isNaN(num) ? num : (raw || row.cells[col].textContent).toLowerCase();
  }

  function sortBy(table, col, th) {
    const ascending = th.getAttribute("aria-sort") !== "ascending";
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    rows.sort(function (a, b) {
      const x = cellValue(a, col), y = cellValue(b, col);
      const order = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? order : -order;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function mount(table) {
    if (table.dataset.sortableMounted) return;
    table.dataset.sortableMounted = "1";
    table.querySelectorAll("thead th").forEach(function (th, col) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "lwm-sort";
      // the heading text stays the button's accessible name
      while (th.firstChild) button.appendChild(th.firstChild);
      button.addEventListener("click", function () { sortBy(table, col, th); });
      th.appendChild(button);
    });
  }

  function mountAll() { document.querySelectorAll("table[data-sortable]").forEach(mount); }
  if (typeof document$ !== "undefined") {
    document$.subscribe(mountAll);
  } else {
    document.addEventListener("DOMContentLoaded", mountAll);
  }
})();
