// The "Print" button of printable pages (a file, not an inline script: the CSP allows only ours).
"use strict";
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
});
