// The print button on the score report (kept out of the HTML: the CSP forbids inline script).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
