/* essentiel: j/k move between the stories of a page, Enter (native) opens the focused one. Progressive
   enhancement: without JavaScript every page works the same, only the shortcuts are missing. */
(function () {
  "use strict";
  function stories() {
    return Array.prototype.slice.call(document.querySelectorAll(".stories > li, .results > li"));
  }
  function current(list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].classList.contains("is-current")) { return i; }
    }
    return -1;
  }
  function select(list, index) {
    list.forEach(function (item) { item.classList.remove("is-current"); });
    var item = list[index];
    item.classList.add("is-current");
    var link = item.querySelector("h2 a, h3 a");
    if (link) { link.focus({ preventScroll: true }); }
    item.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    var key = event.key;
    if (key !== "j" && key !== "k") { return; }
    var list = stories();
    if (!list.length) { return; }
    var index = current(list);
    if (index < 0) {
      index = key === "j" ? 0 : list.length - 1;
    } else {
      index = key === "j" ? Math.min(index + 1, list.length - 1) : Math.max(index - 1, 0);
    }
    event.preventDefault();
    select(list, index);
  });
})();
