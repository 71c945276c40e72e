() => {
  // After Analyze, the results come into view: once the first figure of the analysis arrives (the step-1
  // pyramid, with Analyze's first message), the settings accordion folds (its header stays, one click
  // opens it again) and the page scrolls so that the folded header is at the top, with the status line
  // and the tabs below it, or further (at most to the tabs) where the figure would be cut at the bottom.
  // Analyze's click arms it; a failed Analyze (no result) leaves the page as it is.
  // Installed once per page.
  if (window.sppvizResultsInstalled) return;
  window.sppvizResultsInstalled = true;
  let armed = false;
  // armed by the click itself (capture phase: before Gradio sends the event)
  document.addEventListener("click", (e) => {
    if (e.target && e.target.closest && e.target.closest("#analyze-btn")) armed = true;
  }, true);
  window.sppvizDisarmResults = () => { armed = false; };
  const pageTop = (e) => e.getBoundingClientRect().top + window.scrollY;
  const loaded = (img) => img.complete ? Promise.resolve() : new Promise((done) => {
    img.addEventListener("load", done, { once: true });
    img.addEventListener("error", done, { once: true });
    setTimeout(done, 3000);
  });
  window.sppvizShowResults = async () => {
    if (!armed) return;
    armed = false;
    const settings = document.getElementById("settings");
    if (!settings) return;
    const header = settings.querySelector(":scope > .label-wrap");
    if (header && header.classList.contains("open")) header.click();  // the accordion's own toggle
    const fig = document.querySelector("#pyr-img img");
    if (fig) await loaded(fig);
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));  // folded, drawn
    // the folded header at the top; further down, at most to the tabs' row, where that keeps the first
    // figure whole on the screen
    let y = pageTop(settings);
    const tabs = document.getElementById("tabs");
    if (fig && tabs && fig.offsetParent !== null && fig.getBoundingClientRect().height > 0) {
      const bottom = pageTop(fig) + fig.getBoundingClientRect().height;
      y = Math.min(Math.max(y, bottom + 8 - window.innerHeight), pageTop(tabs));
    }
    window.scrollTo({ top: y, behavior: "smooth" });
  };
}
