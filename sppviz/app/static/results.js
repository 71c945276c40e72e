() => {
  // After Analyze, the results come into view: once the first figure of the analysis arrives (the step-1
  // pyramid, with Analyze's first message), the settings accordion folds (its header stays, one click
  // opens it again) and the page scrolls so that the folded header is at the top, with the status line
  // and the tabs below it. Analyze's click arms it; a failed Analyze (no result) leaves the page as it is.
  // Installed once per page.
  if (window.sppvizResultsInstalled) return;
  window.sppvizResultsInstalled = true;
  let armed = false;
  // armed by the click itself (capture phase: before Gradio sends the event)
  document.addEventListener("click", (e) => {
    if (e.target && e.target.closest && e.target.closest("#analyze-btn")) armed = true;
  }, true);
  window.sppvizDisarmResults = () => { armed = false; };
  window.sppvizShowResults = () => {
    if (!armed) return;
    armed = false;
    const settings = document.getElementById("settings");
    if (!settings) return;
    const header = settings.querySelector(":scope > .label-wrap");
    if (header && header.classList.contains("open")) header.click();  // the accordion's own toggle
    requestAnimationFrame(() => requestAnimationFrame(() => {  // after the folded layout is drawn
      settings.scrollIntoView({ block: "start", behavior: "smooth" });
    }));
  };
}
