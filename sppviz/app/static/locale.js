// The language switch also switches Gradio's own translations (the static labels): the page's i18n store
// is set through `changeLocale` of Gradio's frontend core module (what its settings panel calls), found
// among the loaded scripts; the choice is remembered in localStorage and `?lang=en|zh` sets it.
const sppvizLocale = (lang) => {
  if (lang !== "en" && lang !== "zh") return;
  try { localStorage.setItem("sppviz-lang", lang); } catch (e) {}
  const url = performance.getEntriesByType("resource").map((r) => r.name)
    .find((n) => /\/assets\/core-[\w-]+\.js(\?.*)?$/.test(n));
  if (url) import(url).then((m) => m.changeLocale && m.changeLocale(lang === "zh" ? "zh-CN" : "en"))
    .catch(() => {});
};
