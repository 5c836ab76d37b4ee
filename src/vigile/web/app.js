/* Vigile dashboard: a map, a timeline, filters, an event list and an event panel
 * over the REST API of `vigile serve` (docs/api.md).
 *
 * Two rules hold everywhere below:
 * - the server filters and aggregates; the page never downloads all events
 *   (map markers are /api/clusters, the timeline is /api/stats, the list is
 *   the first LIST_LIMIT events);
 * - every string that comes from the data (article text, evidence, names,
 *   sources, URLs) reaches the page as a text node or a checked attribute,
 *   never through innerHTML, so a news text holding <script> stays text.
 */
'use strict';

/* Event types of the spec, in the stacking order of the timeline, with their colours. */
const TYPES = {
  armed_clash: '#c0392b',
  territory_change: '#8e5b3a',
  air_strike: '#e67e22',
  shelling: '#d4a017',
  bombing: '#7d3c98',
  violence_against_civilians: '#a01a58',
  evacuation: '#2471a3',
  displacement: '#17a2b8',
  aid_delivery: '#27ae60',
  ceasefire: '#7fb3d5',
  talks: '#95a5a6',
  casualty_toll: '#34495e',
  protest: '#f1948a',
  arrest: '#5d6d7e',
};
const LIST_LIMIT = 50;
const DAY = 86400000;
const WEEKLY_AFTER_DAYS = 180;      // longer spans are drawn per ISO week
const MAX_ZOOM = 12;                // borders carry no detail beyond this
const SPOT_DEGREES = 0.02;          // a cluster that survives MAX_ZOOM shares one spot (a town's centre)
const EAGER_ARTICLES = 5;           // article texts loaded with the panel; the others on demand

const state = { types: new Set(), country: '', since: '', until: '', source: '', q: '', spot: null };
const $ = (selector, root = document) => root.querySelector(selector);

/* ---------- DOM helpers: text only ---------- */

/* An element whose string children become text nodes. Attributes are set one by
 * one (never parsed as markup); `on…` keys add listeners. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children.flat().filter((c) => c != null && c !== false));
  return node;
}

function svgEl(tag, attrs = {}) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

/* Only web links become hrefs: a stored url such as "javascript:…" is shown as text. */
function safeUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

const typeLabel = (type) => String(type).replaceAll('_', ' ');
const colour = (type) => TYPES[type] || '#888';
const swatch = (type) => el('span', { class: 'swatch', style: `background:${colour(type)}` });

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
function countryName(code) {
  try {
    return regionNames.of(code);
  } catch {
    return code;  // not a region code Intl knows
  }
}

function placeLabel(location, country) {
  if (!location) return country ? countryName(country) : 'no place';
  return location.country ? `${location.name} (${location.country})` : location.name;
}

/* ---------- fetching ---------- */

const controllers = {};
let pendingCount = 0;

/* GET a JSON document. A request on a `channel` cancels the previous one on the
 * same channel, so a slow answer for an old view never overwrites a newer one.
 * Returns null when cancelled or failed (the failure is shown in #status).
 * body[data-pending] counts requests in flight (the browser tests wait on it). */
async function load(channel, path, params) {
  let signal;
  if (channel) {
    controllers[channel]?.abort();
    controllers[channel] = new AbortController();
    signal = controllers[channel].signal;
  }
  document.body.dataset.pending = ++pendingCount;
  try {
    const query = params ? String(params) : '';
    const response = await fetch(query ? `${path}?${query}` : path, { signal });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText} on ${path}`);
    return await response.json();
  } catch (error) {
    if (error.name !== 'AbortError') setStatus(String(error.message || error));
    return null;
  } finally {
    document.body.dataset.pending = --pendingCount;
  }
}

function setStatus(message) {
  $('#status').textContent = message;
}

/* The shared filters as query parameters; the timeline leaves out its own dates. */
function filterParams({ dates = true } = {}) {
  const params = new URLSearchParams();
  for (const type of state.types) params.append('type', type);
  if (state.country) params.set('country', state.country);
  if (dates && state.since) params.set('since', state.since);
  if (dates && state.until) params.set('until', state.until);
  if (state.source) params.set('source', state.source);
  if (state.q) params.set('q', state.q);
  return params;
}

/* Reload what depends on the filters. The timeline's bars ignore the dates, so
 * a date change only moves its brush. */
function refresh({ timeline = true } = {}) {
  state.spot = null;
  setStatus('');
  loadClusters();
  loadList();
  if (!timeline) drawTimeline();  // the brush moves at once; the bars stay
  loadStats({ timeline });
}

/* ---------- filters ---------- */

function buildFilters() {
  const box = $('#type-filters');
  for (const type of Object.keys(TYPES)) {
    box.append(el('label', { class: 'type-filter' },
      el('input', { type: 'checkbox', value: type }), swatch(type), typeLabel(type)));
  }
  // No box checked means every type: the API's own default.
  box.addEventListener('change', (event) => {
    const { value, checked } = event.target;
    if (checked) state.types.add(value);
    else state.types.delete(value);
    refresh();
  });

  $('#filter-country').addEventListener('change', (event) => {
    state.country = event.target.value;
    refresh();
  });
  for (const key of ['since', 'until']) {
    $(`#filter-${key}`).addEventListener('change', (event) => {
      state[key] = event.target.value;
      refresh({ timeline: false });
    });
  }
  // Text fields wait for a pause in typing rather than query on every key.
  for (const key of ['source', 'q']) {
    let timer;
    $(`#filter-${key}`).addEventListener('input', (event) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        state[key] = event.target.value.trim();
        refresh();
      }, 300);
    });
  }
  $('#filters').addEventListener('submit', (event) => event.preventDefault());
  $('#reset-filters').addEventListener('click', () => {
    $('#filters').reset();
    Object.assign(state, { types: new Set(), country: '', since: '', until: '', source: '', q: '' });
    refresh();
  });
  $('#timeline-reset').addEventListener('click', () => setPeriod('', ''));
}

function setPeriod(since, until) {
  state.since = $('#filter-since').value = since;
  state.until = $('#filter-until').value = until;
  refresh({ timeline: false });
}

/* The summary counts what the filters select; the timeline leaves out its own
 * dates, to show the whole span with the brush on it. Without dates both are
 * one query, asked once (stats are the costliest call at 50,000 events);
 * with dates, each of the two asks only for the groups it draws. */
async function loadStats({ timeline }) {
  const params = filterParams(), undated = filterParams({ dates: false });
  const same = String(params) === String(undated);
  if (same) controllers.timeline?.abort();  // an older span query must not land after this one
  if (!same) {  // two questions: each asks only for its groups (by day and week cost the most)
    params.append('group', 'country');
    for (const group of ['day', 'week']) undated.append('group', group);
  }
  const [stats, spanStats] = await Promise.all([
    load('summary', '/api/stats', params),
    timeline && !same ? load('timeline', '/api/stats', undated) : null,
  ]);
  if (stats) {
    $('#summary').textContent = `${stats.total.toLocaleString('en')} events · `
      + `${stats.fatalities.toLocaleString('en')} killed (conservative count)`;
    if (!String(params)) listCountries(stats.by_country);
  }
  const span = same ? stats : spanStats;
  if (timeline && span) {
    timelineStats = span;
    drawTimeline();
  }
}

/* The country menu lists the countries that have events, most events first,
 * from the unfiltered stats (filled once). */
function listCountries(byCountry) {
  const select = $('#filter-country');
  if (select.options.length > 1) return;
  Object.entries(byCountry)
    .filter(([code]) => code)
    .sort((a, b) => b[1].events - a[1].events)
    .forEach(([code, { events }]) => select.append(
      el('option', { value: code }, `${countryName(code)} (${code}) — ${events}`)));
}

/* ---------- map ---------- */

const map = L.map('map', { minZoom: 1, maxZoom: MAX_ZOOM }).setView([25, 20], 2);
map.attributionControl.setPrefix('Leaflet');
map.attributionControl.addAttribution('Borders: Natural Earth');
map.createPane('borders').style.zIndex = 350;  // under the markers, whichever loads first
const markers = L.layerGroup().addTo(map);
let selectedRing = null;
let fitted = false;

async function loadBorders() {
  const topology = await load(null, '/vendor/world-atlas/countries-50m.json');
  if (!topology) return;
  const countries = topojson.feature(topology, topology.objects.countries);
  L.geoJSON(countries, {
    pane: 'borders',
    interactive: false,
    style: { className: 'border', color: '#9aa3ad', weight: 0.7, fillColor: '#f3f0e8', fillOpacity: 1 },
  }).addTo(map);
  map.getContainer().dataset.borders = countries.features.length;
}

/* A box as the API's bbox. Leaflet's view can reach past the antimeridian and
 * the poles; the API wants a real box. */
function bbox(west, south, east, north) {
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  return [clamp(west, -180, 180), clamp(south, -90, 90), clamp(east, -180, 180), clamp(north, -90, 90)]
    .map((v) => v.toFixed(4)).join(',');
}

function viewBbox() {
  const b = map.getBounds();
  return bbox(b.getWest(), b.getSouth(), b.getEast(), b.getNorth());
}

async function loadClusters() {
  const params = filterParams();
  params.set('zoom', map.getZoom());
  // The first load covers the world so the map can fit all the events.
  if (fitted) params.set('bbox', viewBbox());
  const data = await load('clusters', '/api/clusters', params);
  if (!data) return;
  drawClusters(data.clusters);
  if (!fitted) {
    fitted = true;
    if (data.clusters.length) {
      map.fitBounds(data.clusters.map((c) => [c.lat, c.lon]), { maxZoom: 5, padding: [40, 40], animate: false });
    }
  }
}

const dominantType = (types) => Object.entries(types).sort((a, b) => b[1] - a[1])[0][0];
/* Logarithmic, so a toll of 500 does not hide a whole country. */
const markerRadius = (c) => Math.min(30, 5 + 2.2 * Math.log1p(c.fatalities) + 3 * Math.log10(c.count));

function drawClusters(clusters) {
  markers.clearLayers();
  // Biggest first, so smaller markers stay on top and clickable.
  for (const c of [...clusters].sort((a, b) => b.count - a.count)) {
    const type = dominantType(c.types);
    const single = c.event_id != null;
    const marker = L.circleMarker([c.lat, c.lon], {
      radius: markerRadius(c),
      className: single ? 'marker event' : 'marker cluster',
      color: single ? '#ffffff' : '#222222',
      weight: single ? 1 : 2,
      fillColor: colour(type),
      fillOpacity: 0.85,
    });
    const text = single
      ? `${typeLabel(type)} · ${c.fatalities} killed`
      : `${c.count} events · ${c.fatalities} killed — click to zoom in`;
    marker.bindTooltip(el('span', {}, text));  // an element: Leaflet would parse a string as HTML
    marker.on('click', () => (single ? openEvent(c.event_id) : openCluster(c)));
    markers.addLayer(marker);
    Object.assign(marker.getElement().dataset, { count: c.count, type, ...(single ? { eventId: c.event_id } : {}) });
  }
  map.getContainer().dataset.markers = clusters.length;
}

/* A multi-event cluster zooms in. At the deepest zoom its events share one spot,
 * and zooming further would never split them: list them instead. */
function openCluster(c) {
  if (map.getZoom() < MAX_ZOOM) {
    map.setView([c.lat, c.lon], Math.min(MAX_ZOOM, map.getZoom() + 2));
    return;
  }
  const d = SPOT_DEGREES;
  state.spot = bbox(c.lon - d, c.lat - d, c.lon + d, c.lat + d);
  loadList();
}

function showOnMap(event) {
  if (selectedRing) selectedRing.remove();
  selectedRing = null;
  if (!event?.location) return;
  const at = [event.location.lat, event.location.lon];
  selectedRing = L.circleMarker(at, { radius: 18, className: 'selected-ring', interactive: false, fill: false })
    .addTo(map);
  if (!map.getBounds().contains(at)) map.panTo(at);
}

/* ---------- event list ---------- */

async function loadList() {
  const params = filterParams();
  params.set('limit', LIST_LIMIT);
  if (state.spot) params.set('bbox', state.spot);
  const data = await load('list', '/api/events', params);
  if (data) drawList(data);
}

function drawList({ total, events }) {
  $('#list-title').textContent = `${total.toLocaleString('en')} event${total === 1 ? '' : 's'}`;
  const note = $('#list-note');
  note.replaceChildren();
  if (state.spot) {
    note.append('At the clicked spot only. ',
      el('button', { type: 'button', onclick: () => { state.spot = null; loadList(); } }, 'Show all'));
  } else if (total > events.length) {
    note.append(`The ${events.length} most recent; narrow the filters to see others.`);
  }
  $('#event-list').replaceChildren(...events.map((event) => el('li',
    { class: 'event-item', dataset: { eventId: event.id, type: event.type } },
    el('button', { type: 'button', onclick: () => openEvent(event.id) },
      el('span', { class: 'line' }, swatch(event.type), el('strong', {}, typeLabel(event.type)),
        el('span', { class: 'date' }, event.date || 'undated')),
      el('span', { class: 'line' }, placeLabel(event.location, event.country),
        event.fatalities ? el('span', { class: 'toll' }, `${event.fatalities} killed`) : null,
        event.disputed ? el('span', { class: 'badge disputed' }, 'disputed') : null),
      el('span', { class: 'sources' }, event.sources.join(' · '))))));
  markSelected();
}

let currentEvent = null;

function markSelected() {
  for (const item of document.querySelectorAll('#event-list .event-item')) {
    item.classList.toggle('selected', Number(item.dataset.eventId) === currentEvent?.id);
  }
}

/* ---------- timeline ---------- */

let timelineStats = null;
let timelineScale = null;  // of the last drawing, for brushing

const parseDay = (day) => Date.parse(`${day}T00:00:00Z`);
const formatDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/* Monday of an ISO week such as "2016-W48": week 1 holds January 4th. */
function isoWeekStart(week) {
  const [year, number] = week.split('-W').map(Number);
  const jan4 = Date.UTC(year, 0, 4);
  const mondayOfWeek1 = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY;
  return mondayOfWeek1 + (number - 1) * 7 * DAY;
}

/* Bins of the timeline: {start, total, types: {TYPE: n}}, per day, or per week
 * when the days span more than WEEKLY_AFTER_DAYS. */
function timelineBins(stats) {
  const days = stats.by_day;
  if (!days.length) return null;
  const weekly = (parseDay(days.at(-1).date) - parseDay(days[0].date)) / DAY > WEEKLY_AFTER_DAYS;
  const rows = weekly
    ? stats.by_week.map((r) => ({ start: isoWeekStart(r.week), type: r.type, events: r.events }))
    : days.map((r) => ({ start: parseDay(r.date), type: r.type, events: r.events }));
  const bins = new Map();
  for (const row of rows) {
    const bin = bins.get(row.start) || { start: row.start, total: 0, types: {} };
    bin.total += row.events;
    bin.types[row.type] = (bin.types[row.type] || 0) + row.events;
    bins.set(row.start, bin);
  }
  const starts = [...bins.keys()];
  const width = (weekly ? 7 : 1) * DAY;
  return { weekly, width, from: Math.min(...starts), to: Math.max(...starts) + width, bins: [...bins.values()] };
}

function drawTimeline() {
  const box = $('#timeline');
  const svg = $('svg', box) || box.appendChild(createTimelineSvg());
  svg.replaceChildren();
  const binned = timelineStats && timelineBins(timelineStats);
  $('#timeline-unit').textContent = binned?.weekly ? 'week' : 'day';
  const W = Math.max(200, box.clientWidth), H = box.clientHeight || 110;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('width', W);
  svg.setAttribute('height', H);
  if (!binned) {
    timelineScale = null;
    svg.append(svgEl('text', { x: W / 2, y: H / 2, class: 'empty', 'text-anchor': 'middle' }));
    svg.lastChild.textContent = 'No dated events';
    return;
  }
  const pad = { left: 34, right: 10, top: 8, bottom: 20 };
  const plotW = W - pad.left - pad.right, plotH = H - pad.top - pad.bottom;
  const x = (t) => pad.left + ((t - binned.from) / (binned.to - binned.from)) * plotW;
  const max = Math.max(...binned.bins.map((b) => b.total));
  const y = (n) => (n / max) * plotH;
  timelineScale = { ...binned, x, pad, plotW, plotH };

  const since = state.since ? parseDay(state.since) : -Infinity;
  const until = state.until ? parseDay(state.until) : Infinity;
  const bars = svgEl('g', { class: 'bars' });
  for (const bin of binned.bins) {
    const outside = bin.start + binned.width - DAY < since || bin.start > until;
    let base = pad.top + plotH;
    for (const type of Object.keys(TYPES)) {
      const n = bin.types[type];
      if (!n) continue;
      const h = y(n);
      base -= h;
      const rect = svgEl('rect', {
        class: outside ? 'bar outside' : 'bar', x: x(bin.start) + 0.5, y: base, height: h, fill: colour(type),
        width: Math.max(1, x(bin.start + binned.width) - x(bin.start) - 1),
        'data-date': formatDay(bin.start), 'data-type': type,
      });
      const title = svgEl('title');
      title.textContent = `${binned.weekly ? 'week of ' : ''}${formatDay(bin.start)} · ${typeLabel(type)}: ${n}`;
      rect.append(title);
      bars.append(rect);
    }
  }
  svg.append(bars, timelineAxis(binned, x, H, pad, max));

  if (state.since || state.until) {
    const left = x(Math.max(since, binned.from));
    const right = x(Math.min(until + DAY, binned.to));
    svg.append(svgEl('rect', {
      id: 'brush', class: 'brush', x: left, y: pad.top, width: Math.max(0, right - left), height: plotH,
    }));
  }
}

function timelineAxis(binned, x, H, pad, max) {
  const axis = svgEl('g', { class: 'axis' });
  const label = (attrs, text) => {
    const node = svgEl('text', attrs);
    node.textContent = text;
    axis.append(node);
  };
  label({ x: pad.left - 4, y: pad.top + 8, 'text-anchor': 'end' }, String(max));
  label({ x: pad.left - 4, y: H - pad.bottom, 'text-anchor': 'end' }, '0');
  // About one date every 110 pixels, with the year when the span is long.
  const long = binned.to - binned.from > 365 * DAY;
  const format = { month: 'short', timeZone: 'UTC', ...(long ? { year: 'numeric' } : { day: 'numeric' }) };
  const ticks = Math.max(2, Math.floor((x(binned.to) - x(binned.from)) / 110));
  for (let i = 0; i <= ticks; i++) {
    const t = binned.from + ((binned.to - binned.from - DAY) * i) / ticks;
    const anchor = i === 0 ? 'start' : i === ticks ? 'end' : 'middle';
    label({ x: x(t), y: H - 5, 'text-anchor': anchor }, new Date(t).toLocaleDateString('en', format));
  }
  return axis;
}

/* Dragging across the timeline selects whole bins as since/until; a click selects one bin. */
function createTimelineSvg() {
  const svg = svgEl('svg', { role: 'img', 'aria-label': 'Events over time by type' });
  let startX = null;
  const localX = (event) => event.clientX - svg.getBoundingClientRect().left;
  const binAt = (px) => {
    const s = timelineScale;
    const t = s.from + ((px - s.pad.left) / s.plotW) * (s.to - s.from);
    const i = Math.floor((t - s.from) / s.width);
    return s.from + Math.min(Math.max(i, 0), Math.round((s.to - s.from) / s.width) - 1) * s.width;
  };
  const preview = (a, b) => {
    $('#brush', svg)?.remove();
    const s = timelineScale;
    const left = s.x(binAt(Math.min(a, b))), right = s.x(binAt(Math.max(a, b)) + s.width);
    svg.append(svgEl('rect', { id: 'brush', class: 'brush', x: left, y: s.pad.top, width: right - left,
      height: s.plotH }));
  };
  svg.addEventListener('pointerdown', (event) => {
    if (!timelineScale) return;
    startX = localX(event);
    svg.setPointerCapture(event.pointerId);
    preview(startX, startX);
  });
  svg.addEventListener('pointermove', (event) => {
    if (startX !== null) preview(startX, localX(event));
  });
  svg.addEventListener('pointerup', (event) => {
    if (startX === null) return;
    const endX = localX(event);
    const first = binAt(Math.min(startX, endX)), last = binAt(Math.max(startX, endX));
    startX = null;
    setPeriod(formatDay(first), formatDay(last + timelineScale.width - DAY));
  });
  return svg;
}

let resizeFrame = 0;
window.addEventListener('resize', () => {
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(drawTimeline);
});

/* ---------- event panel ---------- */

let articleLoads = new Map();  // article id → promise of its rendered text, for the open panel

async function openEvent(id) {
  const event = await load('event', `/api/events/${encodeURIComponent(id)}`);
  if (!event) return;
  currentEvent = event;
  articleLoads = new Map();
  markSelected();
  showOnMap(event);
  const panel = $('#event-panel');
  panel.hidden = false;
  panel.dataset.eventId = event.id;
  $('#event-body').replaceChildren(
    eventHeader(event),
    el('h3', {}, 'Figures'), figuresTable(event),
    el('h3', {}, 'Claims by source'), claimsTable(event),
    el('h3', {}, 'Fused mentions'), mentionList(event),
    el('h3', {}, 'Articles'), articleList(event));
  panel.scrollTop = 0;
  panel.scrollIntoView({ block: 'nearest' });
}

function closeEvent() {
  currentEvent = null;
  $('#event-panel').hidden = true;
  markSelected();
  showOnMap(null);
}

function eventHeader(event) {
  const when = event.date_min && event.date_max && event.date_min !== event.date_max
    ? `${event.date} (${event.date_min} – ${event.date_max})` : event.date || 'undated';
  const row = (term, value) => [el('dt', {}, term), el('dd', {}, value)];
  return el('div', { class: 'event-head' },
    el('h2', {}, swatch(event.type), typeLabel(event.type), el('span', { class: 'event-id' }, ` #${event.id}`)),
    el('dl', {},
      row('Day', when),
      row('Place', event.location
        ? `${placeLabel(event.location)} · ${event.location.precision || ''}` : placeLabel(null, event.country)),
      row('Actors', event.actors.length ? event.actors.join(', ') : '—'),
      row('Sources', event.sources.length ? event.sources.join(', ') : '—'),
      row('Articles', String(event.n_articles))));
}

function figuresTable(event) {
  const figures = Object.entries(event.figures);
  if (!figures.length) return el('p', { class: 'muted' }, 'No figures.');
  return el('table', { id: 'figures' },
    el('thead', {}, el('tr', {}, ...['figure', 'best', 'low–high', 'conservative', 'sources', ''].map((h) => el('th', {}, h)))),
    el('tbody', {}, ...figures.map(([key, f]) => el('tr',
      { class: f.disputed ? 'figure-row disputed' : 'figure-row', dataset: { key } },
      el('td', {}, typeLabel(key)), el('td', { class: 'num best' }, String(f.best)),
      el('td', { class: 'num range' }, `${f.low}–${f.high}`), el('td', { class: 'num' }, String(f.conservative)),
      el('td', { class: 'num' }, String(f.n_sources)),
      el('td', {}, f.disputed ? el('span', { class: 'badge disputed' }, 'disputed') : '')))));
}

/* One row per claim. When a figure is disputed, the claims that differ from its
 * best value are the disagreement: they carry .disputed. */
function claimsTable(event) {
  if (!event.claims.length) return el('p', { class: 'muted' }, 'No claims.');
  const mentions = new Map(event.mentions.map((m) => [m.id, m]));
  return el('table', { id: 'claims' },
    el('thead', {}, el('tr', {}, ...['source', 'figure', 'value', 'qualifier', ''].map((h) => el('th', {}, h)))),
    el('tbody', {}, ...event.claims.map((claim) => {
      const figure = event.figures[claim.key];
      const differs = figure?.disputed && claim.value !== figure.best;
      return el('tr', {
        class: differs ? 'claim-row disputed' : 'claim-row',
        dataset: { key: claim.key, mentionId: claim.mention_id },
        title: 'Show the sentence in its article',
        onclick: () => mentions.has(claim.mention_id) && showMention(mentions.get(claim.mention_id)),
      },
      el('td', {}, claim.source), el('td', {}, typeLabel(claim.key)),
      el('td', { class: 'num' }, String(claim.value)), el('td', {}, typeLabel(claim.qualifier || '')),
      el('td', {}, claim.independent ? '' : el('span', { class: 'badge copy' }, 'copy')));
    })));
}

function mentionList(event) {
  const sources = new Map(event.articles.map((a) => [a.id, a.source || a.ext_id]));
  return el('ol', { id: 'mentions' }, ...event.mentions.map((m) => el('li',
    { class: 'mention-link', dataset: { mentionId: m.id, articleId: m.article_id } },
    el('button', { type: 'button', onclick: () => showMention(m) },
      el('span', { class: 'line' }, el('strong', {}, sources.get(m.article_id) || `article ${m.article_id}`),
        el('span', { class: 'date' }, m.date || 'undated'), m.location ? m.location.name : '',
        m.independent ? '' : el('span', { class: 'badge copy' }, 'copy')),
      el('q', {}, m.evidence || '')))));
}

function articleList(event) {
  return el('div', { id: 'articles' }, ...event.articles.map((article, i) => {
    const url = article.url && safeUrl(article.url);
    const details = el('details', { class: 'article', dataset: { articleId: article.id } },
      el('summary', {}, el('strong', {}, article.source || 'unknown source'),
        ` · ${article.published || 'undated'} · ${article.ext_id}`,
        article.duplicate_of ? el('span', { class: 'badge copy' }, `copy of article ${article.duplicate_of}`) : ''),
      url ? el('a', { href: url, rel: 'noopener noreferrer', target: '_blank' }, article.url)
        : article.url ? el('span', { class: 'muted' }, article.url) : '');
    details.addEventListener('toggle', () => details.open && ensureArticle(event, article.id, details));
    details.open = i < EAGER_ARTICLES;
    return details;
  }));
}

/* Load and render an article's text once per panel; resolves when it is on the page. */
function ensureArticle(event, articleId, details) {
  if (!articleLoads.has(articleId)) {
    articleLoads.set(articleId, load(null, `/api/articles/${encodeURIComponent(articleId)}`).then((article) => {
      if (article) details.append(articleText(article, event.id));
    }));
  }
  return articleLoads.get(articleId);
}

/* The text with every mention's evidence in a <mark>: this event's mentions as
 * .current, other events' as .other (a click opens that event). Mentions may
 * overlap (two events reported by one sentence), so the text is cut at every
 * offset and each piece is marked with all the mentions covering it. */
function articleText(article, eventId) {
  // The API's offsets count code points (Python); JS strings count UTF-16 units.
  const chars = Array.from(article.text || '');
  const spans = (article.mentions || []).filter((m) => Number.isInteger(m.evidence_start)
    && Number.isInteger(m.evidence_end) && m.evidence_start >= 0
    && m.evidence_start < m.evidence_end && m.evidence_end <= chars.length);
  const cuts = [...new Set([0, chars.length, ...spans.flatMap((m) => [m.evidence_start, m.evidence_end])])]
    .sort((a, b) => a - b);
  const body = el('div', { class: 'article-text' });
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [from, to] = [cuts[i], cuts[i + 1]];
    const piece = chars.slice(from, to).join('');
    const covering = spans.filter((m) => m.evidence_start <= from && to <= m.evidence_end);
    if (!covering.length) {
      body.append(piece);
      continue;
    }
    const own = covering.some((m) => m.event_id === eventId);
    const other = covering.find((m) => m.event_id !== eventId);
    body.append(el('mark', {
      class: own ? 'evidence current' : 'evidence other',
      dataset: { mentionIds: covering.map((m) => m.id).join(' ') },
      title: own ? 'Evidence of this event' : `Evidence of event ${other.event_id}: click to open it`,
      onclick: own ? null : () => openEvent(other.event_id),
    }, piece));
  }
  return body;
}

/* Scroll to a mention's evidence in its article (loading the text if needed) and flash it. */
async function showMention(mention) {
  const details = $(`#articles details[data-article-id="${mention.article_id}"]`);
  if (!details) return;
  details.open = true;
  await ensureArticle(currentEvent, mention.article_id, details);
  const mark = $(`mark[data-mention-ids~="${mention.id}"]`, details);
  if (!mark) return;
  mark.scrollIntoView({ block: 'center', behavior: 'smooth' });
  mark.classList.remove('flash');
  void mark.offsetWidth;  // restart the animation
  mark.classList.add('flash');
}

/* ---------- start ---------- */

buildFilters();
$('#panel-close').addEventListener('click', closeEvent);
map.on('moveend', loadClusters);
loadBorders();
refresh();
