// The question form shows options and option answers for choice questions, true/false for judge.
(function () {
  var type = document.getElementById("qtype");
  if (!type) {
    return;
  }
  var choiceBlocks = ["options-block", "answer-keys-block"];
  var judgeBlocks = ["answer-judge-block"];
  function show(ids, visible) {
    ids.forEach(function (id) {
      var block = document.getElementById(id);
      // A block with an error stays visible, so the error can be read and fixed.
      if (block) {
        block.classList.toggle("d-none", !visible && !block.querySelector(".invalid-feedback"));
      }
    });
  }
  function update() {
    var judge = type.value === "judge";
    show(choiceBlocks, !judge);
    show(judgeBlocks, judge);
  }
  type.addEventListener("change", update);
  update();
})();
