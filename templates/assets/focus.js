// Error summary (GOV.UK pattern), progressive enhancement: loaded with defer
// only by pages with errors. Focuses the summary; a link in it shows the
// question (a radio group's legend, else the label) and focuses the field.
(function () {
  'use strict';
  var summary = document.querySelector('.error-summary');
  if (!summary) return;
  summary.focus();
  summary.addEventListener('click', function (event) {
    var link = event.target.closest('a[href^="#"]');
    var field = link && document.getElementById(link.getAttribute('href').slice(1));
    if (!field) return;
    event.preventDefault();
    var fieldset = field.type === 'radio' && field.closest('fieldset');
    var shown = (fieldset && fieldset.querySelector('legend')) || document.querySelector('label[for="' + field.id + '"]');
    (shown || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
})();
