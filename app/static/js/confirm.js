// Ask before submitting forms marked data-confirm (kept out of the HTML: the CSP forbids inline script).
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
