// The check-in projector page without htmx (the vendored file did not load): reload the whole
// page when the code changes. With htmx, the fragment asks for itself again (hx-trigger).
window.addEventListener("load", function () {
  if (window.htmx) return;
  var part = document.getElementById("layar-kode");
  var seconds = part ? parseInt(part.getAttribute("data-seconds"), 10) : 30;
  window.setTimeout(function () { window.location.reload(); }, (seconds || 30) * 1000);
});
