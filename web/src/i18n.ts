// Interface language: 中文 (default) and English. Texts that come from the plan itself (layer,
// place and indicator names) are shown as the plan writes them, with English names where the
// manifest gives them.

export type Lang = "zh" | "en";

const zh = {
  appTitle: "文水县国土空间规划一张图",
  subtitle: "美丽文水建设规划（2024—2035年）",
  tabLayers: "图层",
  tabPlan: "规划指标",
  tabConflicts: "冲突检查",
  tabCheck: "选址分析",
  searchPlaceholder: "搜索地名、乡镇、园区…",
  searchNone: "未找到匹配的地名",
  legendHint: "点击色块开关图层，滑块调节透明度，⤓ 下载 GeoJSON",
  download: "下载 GeoJSON",
  opacity: "透明度",
  features: "要素",
  loading: "加载中…",
  loadFailed: "加载失败",
  // plan panel
  planMeasured: "图层实测面积与规划目标",
  layer: "图层",
  measured: "实测",
  target: "规划目标",
  deviation: "偏差",
  indicators: "规划指标（26 项）",
  no: "序号",
  indicator: "指标",
  unit: "单位",
  y2023: "2023 年",
  y2027: "2027 年",
  y2035: "2035 年",
  attribute: "属性",
  binding: "约束性",
  expected: "预期性",
  // conflicts panel
  conflictsTitle: "三线及园区冲突",
  conflictsIntro: "按规则逐对检查图层要素的重叠（碎片阈值 {tol} m²）。点击条目定位。",
  rule: "规则",
  count: "数量",
  area: "面积",
  noConflicts: "未发现冲突",
  slivers: "碎片（低于阈值，单列不计）",
  showConflictLayer: "在地图上显示冲突图层",
  exportConflicts: "导出冲突 GeoJSON",
  severity_conflict: "冲突",
  severity_warning: "需论证",
  scanning: "正在扫描冲突…",
  // check panel
  checkTitle: "项目选址合规性审查",
  checkIntro: "绘制、上传或粘贴项目用地范围，检查是否占用生态保护红线、永久基本农田、饮用水水源保护区，是否涉及生态廊道与绿色屏障。",
  draw: "绘制范围",
  drawHint: "在地图上依次点击各拐点，点击起点（或双击）闭合",
  upload: "上传文件",
  uploadHint: "GeoJSON / KML / TXT / DXF / SHP(zip) / GPKG",
  fileRead: "文件",
  statedArea: "文件所载面积",
  planarArea: "高斯平面面积",
  ellipsoidalArea: "椭球面积",
  paste: "粘贴坐标",
  pasteHint: "每行一个点：经度,纬度（或 GeoJSON 文本）",
  pastePlaceholder: "112.0990,37.3900\n112.1010,37.3900\n112.1010,37.3920\n112.0990,37.3920",
  runCheck: "检查",
  clear: "清除",
  checking: "正在检查…",
  verdict: "结论",
  siteArea: "用地面积",
  overlapTable: "与各图层的重叠",
  share: "占比",
  m2: "平方米",
  ha: "公顷",
  mu: "亩",
  none: "无",
  inTownships: "所在乡镇",
  inParks: "所在园区",
  nearestRed: "距最近生态保护红线",
  avoidance: "避让后可用面积",
  reasons: "原因",
  noOverlap: "未占用任何管控图层",
  sliverNote: "{n} 处碎片重叠（< {tol} m²）单列，不影响结论",
  exportCheck: "导出结果 GeoJSON",
  printReport: "打印审查报告",
  outsideShare: "用地 {p} 位于县域内",
  dataVersion: "数据版本",
  legendSite: "项目用地",
  legendPiece: "重叠部分",
  legendAvoid: "避让后用地",
  // map
  scale: "比例尺",
  popupArea: "面积",
  popupLayer: "图层",
  identifyNone: "此处无规划要素",
  language: "English",
  menu: "面板",
  // report
  reportTitle: "项目选址合规性审查报告",
  reportDate: "审查日期",
  reportPlan: "依据规划",
  reportCaveat: "数据说明",
  reportPrint: "打印 / 存为 PDF",
  reportBack: "返回地图",
  reportMap: "选址位置图",
  reportNoSite: "没有可打印的选址：请先在地图的“选址分析”中检查一个地块。",
  reportFooter: "本报告由 planmap 依据规划图层自动生成，面积为 CGCS2000 椭球面积。",
  siteVertices: "界址点",
  siteCoords: "界址点坐标",
  roleProhibited: "禁止占用",
  roleAssess: "需论证",
  notTouched: "未涉及",
  reportOverview: "县域位置",
  siteExtent: "范围",
  // the catalog: many plans in one server
  planTitle: "{county}国土空间规划一张图",
  overviewTitle: "国土空间规划一张图 · 总览",
  overviewSub: "{n} 个县级规划",
  overviewIntro: "点击县域或列表查看规划指标，打开规划后可浏览图层、检查选址。",
  overviewTotal: "合计 {n} 个规划 · {km2} km²",
  pickPlan: "规划",
  overview: "总览",
  searchPlans: "搜索规划、县名、行政区划代码…",
  openPlan: "打开规划",
  backOverview: "返回总览",
  county: "县（市、区）",
  adcode: "行政区划代码",
  areaKm2: "面积 km²",
  layersCount: "图层数",
  loaded: "已加载",
  planHit: "规划",
  overallVerdict: "综合结论",
  acrossPlans: "地块跨 {n} 个县级规划，取最严结论",
  planCol: "规划",
  partArea: "县域内面积",
  planReport: "报告",
  total: "合计",
};

export type Key = keyof typeof zh;

const en: Record<Key, string> = {
  appTitle: "Wenshui County spatial plan map",
  subtitle: "Beautiful Wenshui Plan (2024–2035)",
  tabLayers: "Layers",
  tabPlan: "Indicators",
  tabConflicts: "Conflicts",
  tabCheck: "Site check",
  searchPlaceholder: "Search places, townships, parks…",
  searchNone: "No matching place",
  legendHint: "Click a swatch to toggle, slide for opacity, ⤓ downloads GeoJSON",
  download: "Download GeoJSON",
  opacity: "Opacity",
  features: "features",
  loading: "Loading…",
  loadFailed: "Could not load",
  planMeasured: "Measured layer totals against the plan's targets",
  layer: "Layer",
  measured: "Measured",
  target: "Target",
  deviation: "Deviation",
  indicators: "Plan indicators (26)",
  no: "No.",
  indicator: "Indicator",
  unit: "Unit",
  y2023: "2023",
  y2027: "2027",
  y2035: "2035",
  attribute: "Type",
  binding: "binding",
  expected: "expected",
  conflictsTitle: "Control-line and park conflicts",
  conflictsIntro: "Every rule's layer pairs checked for overlap (sliver tolerance {tol} m²). Click an entry to zoom.",
  rule: "Rule",
  count: "Count",
  area: "Area",
  noConflicts: "No conflicts found",
  slivers: "Slivers (under the tolerance, counted apart)",
  showConflictLayer: "Show the conflicts layer on the map",
  exportConflicts: "Export conflicts as GeoJSON",
  severity_conflict: "conflict",
  severity_warning: "needs assessment",
  scanning: "Scanning for conflicts…",
  checkTitle: "Project site compliance check",
  checkIntro: "Draw, upload or paste a project site to see whether it touches the ecological red line, permanent farmland, a drinking-water source zone, a corridor or the green barrier.",
  draw: "Draw site",
  drawHint: "Click each corner on the map; click the first point (or double-click) to close",
  upload: "Upload file",
  uploadHint: "GeoJSON / KML / TXT / DXF / SHP(zip) / GPKG",
  fileRead: "文件",
  statedArea: "文件所载面积",
  planarArea: "高斯平面面积",
  ellipsoidalArea: "椭球面积",
  paste: "Paste coordinates",
  pasteHint: "One point a line: lon,lat (or GeoJSON text)",
  pastePlaceholder: "112.0990,37.3900\n112.1010,37.3900\n112.1010,37.3920\n112.0990,37.3920",
  runCheck: "Check",
  clear: "Clear",
  checking: "Checking…",
  verdict: "Verdict",
  siteArea: "Site area",
  overlapTable: "Overlap with each layer",
  share: "Share",
  m2: "m²",
  ha: "ha",
  mu: "mu",
  none: "none",
  inTownships: "Township(s)",
  inParks: "Industrial park",
  nearestRed: "Nearest red-line patch",
  avoidance: "Area left after avoidance",
  reasons: "Reasons",
  noOverlap: "No controlled layer is touched",
  sliverNote: "{n} sliver overlap(s) (< {tol} m²) counted apart; they do not change the verdict",
  exportCheck: "Export result as GeoJSON",
  printReport: "Print report",
  outsideShare: "{p} of the site lies inside the county",
  dataVersion: "Data version",
  legendSite: "Project site",
  legendPiece: "Overlap",
  legendAvoid: "Site after avoidance",
  scale: "Scale",
  popupArea: "Area",
  popupLayer: "Layer",
  identifyNone: "No plan feature here",
  language: "中文",
  menu: "Panels",
  reportTitle: "Project site compliance report",
  reportDate: "Date",
  reportPlan: "Plan",
  reportCaveat: "About the data",
  reportPrint: "Print / save as PDF",
  reportBack: "Back to the map",
  reportMap: "Site location",
  reportNoSite: "No site to print: check a site in the map's Site check panel first.",
  reportFooter: "Generated by planmap from the plan's layers; areas are ellipsoidal (CGCS2000).",
  siteVertices: "Point",
  siteCoords: "Boundary points",
  roleProhibited: "prohibited",
  roleAssess: "needs assessment",
  notTouched: "not touched",
  reportOverview: "In the county",
  siteExtent: "Extent",
  planTitle: "{county} spatial plan map",
  overviewTitle: "Spatial plan map · overview",
  overviewSub: "{n} county plans",
  overviewIntro: "Click a county or a row for its figures; open a plan to browse its layers and check sites.",
  overviewTotal: "{n} plans · {km2} km² in all",
  pickPlan: "Plan",
  overview: "Overview",
  searchPlans: "Search plans, counties, division codes…",
  openPlan: "Open plan",
  backOverview: "Back to the overview",
  county: "County",
  adcode: "Division code",
  areaKm2: "Area km²",
  layersCount: "Layers",
  loaded: "loaded",
  planHit: "plan",
  overallVerdict: "Overall verdict",
  acrossPlans: "The site spans {n} county plans; the strictest verdict applies",
  planCol: "Plan",
  partArea: "Area inside the county",
  planReport: "Report",
  total: "Total",
};

const VERDICT_EN: Record<string, string> = {
  不通过: "Not permitted",
  需论证: "Needs assessment",
  通过: "Permitted",
};

let lang: Lang = "zh";
const listeners: Array<(l: Lang) => void> = [];

export function getLang(): Lang {
  return lang;
}

export function setLang(l: Lang): void {
  if (l === lang) return;
  lang = l;
  document.documentElement.lang = l === "zh" ? "zh-CN" : "en";
  for (const f of listeners) f(l);
}

/** Calls `f` now and whenever the language changes. */
export function onLang(f: (l: Lang) => void): void {
  listeners.push(f);
  f(lang);
}

/** The text of `key` in the current language, with `{name}` placeholders filled. */
export function t(key: Key, vars: Record<string, string | number> = {}): string {
  const s = (lang === "zh" ? zh : en)[key];
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? `{${k}}`));
}

/** A layer's name in the current language (the manifest's 中文名 when it has no English). */
export function layerName(l: { name: string; name_en?: string }): string {
  return lang === "en" && l.name_en ? l.name_en : l.name;
}

/** The verdict as the report writes it: 不通过 always, with English beside it in English. */
export function verdictLabel(v: string): string {
  return lang === "en" ? `${v} · ${VERDICT_EN[v] ?? v}` : v;
}

/** Fills every element carrying `data-i18n` (text) or `data-i18n-title`/`-placeholder`. */
export function translateDom(root: ParentNode = document): void {
  root.querySelectorAll<HTMLElement>("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n as Key);
  });
  root.querySelectorAll<HTMLElement>("[data-i18n-title]").forEach((el) => {
    el.title = t(el.dataset.i18nTitle as Key);
    el.setAttribute("aria-label", el.title);
  });
  root.querySelectorAll<HTMLInputElement>("[data-i18n-placeholder]").forEach((el) => {
    el.placeholder = t(el.dataset.i18nPlaceholder as Key);
  });
}
