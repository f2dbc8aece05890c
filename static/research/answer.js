/* The answering page of a survey: hide the questions whose skip condition is not met.
   A question with data-show-if="<field name>" data-show-values="a b" is shown when that
   field (itself shown) has one of the values checked. Without this script every
   question shows, and the server ignores answers to questions not shown. */
(function () {
  "use strict";
  var form = document.querySelector("[data-answer-form]");
  if (!form) { return; }
  var blocks = Array.prototype.slice.call(form.querySelectorAll("[data-question]"));

  function chosen(name) {
    var values = [];
    var inputs = form.querySelectorAll("input[name='" + name + "']:checked");
    for (var i = 0; i < inputs.length; i++) { values.push(inputs[i].value); }
    return values;
  }

  function update() {
    var shown = {};
    blocks.forEach(function (block) {
      var name = block.getAttribute("data-question");
      var parent = block.getAttribute("data-show-if");
      var visible = true;
      if (parent) {
        var wanted = (block.getAttribute("data-show-values") || "").split(" ");
        visible = !!shown[parent] && chosen(parent).some(function (v) {
          return wanted.indexOf(v) !== -1;
        });
      }
      shown[name] = visible;
      block.hidden = !visible;
    });
  }

  form.addEventListener("change", update);
  update();
})();
