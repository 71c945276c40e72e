() => {
  // Presentation mode of the lesson tab: the lesson's stage (title, figure, story, Back / Next) fills the
  // screen (the Fullscreen API, with a full-window fallback where the browser refuses it); the arrow keys
  // and a presenter remote's PageUp / PageDown step through the lesson whenever the lesson tab is shown;
  // Esc leaves. Installed once per page.
  if (window.sppvizPresentInstalled) return;
  window.sppvizPresentInstalled = true;
  const stage = () => document.getElementById("lesson-stage");
  const leave = () => {
    document.body.classList.remove("sppviz-presenting");
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  };
  window.sppvizPresent = () => {
    const s = stage();
    if (!s) return;
    document.body.classList.add("sppviz-presenting");
    if (s.requestFullscreen && !document.fullscreenElement) s.requestFullscreen().catch(() => {});
  };
  document.addEventListener("fullscreenchange", () => {
    if (!document.fullscreenElement) document.body.classList.remove("sppviz-presenting");
  });
  document.addEventListener("keydown", (e) => {
    const s = stage();
    if (!s || s.offsetParent === null && !document.body.classList.contains("sppviz-presenting")) return;
    const tag = (e.target && e.target.tagName || "").toLowerCase();
    if (tag === "textarea" || (tag === "input" && e.target.type !== "radio" && e.target.type !== "checkbox")) return;
    const press = (id) => { const b = document.getElementById(id); if (b && !b.disabled) b.click(); };
    if (e.key === "ArrowRight" || e.key === "PageDown") { press("lesson-next"); e.preventDefault(); }
    else if (e.key === "ArrowLeft" || e.key === "PageUp") { press("lesson-back"); e.preventDefault(); }
    else if (e.key === "Escape") leave();
  });
}
