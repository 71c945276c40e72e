() => {
  // After Analyze, the results come into view: once the first figure of the analysis arrives (the step-1
  // pyramid, with Analyze's first message), the settings accordion folds (its header stays, one click
  // opens it again) and the page scrolls so that the folded header is at the top, with the status line
  // and the tabs below it, or further (at most to the tabs) where the figure would be cut at the bottom.
  // When the analysis is complete (the status line has grown meanwhile) the place is worked out again,
  // unless the user has scrolled since; an Analyze that gave the same figure folds then. Analyze's click
  // arms it; a failed Analyze (no result) leaves the page as it is. Installed once per page.
  if (window.sppvizResultsInstalled) return;
  window.sppvizResultsInstalled = true;
  let armed = false;  // an Analyze was clicked and its results have not been shown yet
  let placed = null;  // where the page was scrolled for them, until the analysis is complete
  // armed by the click itself (capture phase: before Gradio sends the event)
  document.addEventListener("click", (e) => {
    if (e.target && e.target.closest && e.target.closest("#analyze-btn")) { armed = true; placed = null; }
  }, true);
  const pageTop = (e) => e.getBoundingClientRect().top + window.scrollY;
  const loaded = (img) => img.complete ? Promise.resolve() : new Promise((done) => {
    img.addEventListener("load", done, { once: true });
    img.addEventListener("error", done, { once: true });
    setTimeout(done, 3000);
  });
  const drawn = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const still = () => new Promise((done) => {  // a smooth scroll has ended (the page still for ~5 frames)
    let y = window.scrollY, same = 0, frames = 0;
    const tick = () => {
      same = window.scrollY === y ? same + 1 : 0;
      y = window.scrollY;
      if (same >= 5 || ++frames > 90) done(); else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const place = async () => {  // the folded header at the top, or lower (at most the tabs) for the figure
    const settings = document.getElementById("settings");
    const tabs = document.getElementById("tabs");
    const fig = document.querySelector("#pyr-img img");
    if (!settings) return null;
    if (fig) await loaded(fig);
    await drawn();
    let y = pageTop(settings);
    if (fig && tabs && fig.offsetParent !== null && fig.getBoundingClientRect().height > 0) {
      const bottom = pageTop(fig) + fig.getBoundingClientRect().height;
      y = Math.min(Math.max(y, bottom + 8 - window.innerHeight), pageTop(tabs));
    }
    window.scrollTo({ top: y, behavior: "smooth" });
    return y;
  };
  const fold = () => {
    const header = document.querySelector("#settings > .label-wrap");
    if (header && header.classList.contains("open")) header.click();  // the accordion's own toggle
  };
  window.sppvizShowResults = async () => {  // the first figure has come
    if (!armed) return;
    armed = false;
    fold();
    placed = await place();
  };
  window.sppvizAnalyzed = async () => {  // the analysis is complete
    if (armed) { armed = false; fold(); placed = await place(); }
    const y = placed;
    placed = null;
    if (y === null) return;
    await still();
    if (Math.abs(window.scrollY - y) <= 4) await place();
  };
  window.sppvizDisarmResults = () => { armed = false; };
}
