// The loadmaster jobs page. Plain modern JavaScript, no dependencies, no build step.
//
// Every value that comes from the server is written with textContent (never as markup), so a
// job message, a user name or a faulty row holding markup is shown as text. The page's
// Content-Security-Policy forbids inline script as a second line of defence.
"use strict";

// The session (an operation token and the user's name) lives in this tab only.
const SESSION_KEY = "loadmaster.session";
const PAGE_SIZE = 20;
// Browsers allow ~6 HTTP/1.1 connections per host: leave two for the API calls.
const MAX_STREAMS = 4;
// The table is re-read this often (new jobs appear); running jobs' bars move by their streams.
const REFRESH_MS = 3000;
const ERRORS_SHOWN = 100;
const FINISHED = new Set(["COMPLETE", "ERROR"]);
// The values of a job's `type` (the job operations), for the type filter.
const JOB_TYPES = [
  "csv_data_load", "csv_file_load", "csv_url_load", "csv_upload_load",
  "json_data_load", "json_file_load", "json_url_load", "json_upload_load",
  "import_from_s3", "export_local", "export_to_s3",
  "delete_records_before", "delete_files_before", "delete_audit_logs_before",
];

const state = {
  session: null,
  filters: {},
  cursors: [null], // the cursor of each page shown so far; the last is the current page
  next: null,
  rows: new Map(), // job id -> its table row
  streams: new Map(), // job id -> its EventSource
  detailId: null,
  timer: null,
  loading: false,
  again: false,
};

const $ = (id) => document.getElementById(id);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function notify(text, isError = false) {
  const notice = $("notice");
  notice.textContent = text;
  notice.classList.toggle("error", isError);
  notice.hidden = !text;
}

// --- the API ----------------------------------------------------------------------------

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function decode(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body && typeof body.error === "string" ? body.error : `HTTP ${response.status}`;
    throw new ApiError(message, response.status);
  }
  return body;
}

function bearer() {
  return `Bearer ${state.session.token}`;
}

async function api(body, authorization = bearer()) {
  const response = await fetch("/", {
    method: "POST",
    headers: { "content-type": "application/json", authorization },
    body: JSON.stringify(body),
    cache: "no-store",
  });
  return decode(response);
}

// A refused token (expired, revoked) ends the session; other errors are shown.
function failed(error) {
  if (error instanceof ApiError && error.status === 401 && state.session) {
    signOut(`Signed out: ${error.message}`);
    return;
  }
  notify(error.message || String(error), true);
}

// --- signing in -------------------------------------------------------------------------

function basic(username, password) {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

async function signIn(event) {
  event.preventDefault();
  notify("");
  const byToken = $("method-token").checked;
  try {
    let token;
    if (byToken) {
      token = $("token").value.trim();
    } else {
      const header = basic($("username").value, $("password").value);
      token = (await api({ operation: "create_authentication_tokens" }, header)).operation_token;
    }
    const info = await api({ operation: "user_info" }, `Bearer ${token}`);
    state.session = { token, user: info.username };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(state.session));
  } catch (error) {
    notify(`Sign-in failed: ${error.message}`, true);
    return;
  } finally {
    $("password").value = "";
    $("token").value = "";
  }
  await start();
}

function signOut(message = "") {
  for (const id of [...state.streams.keys()]) unfollow(id);
  clearInterval(state.timer);
  state.session = null;
  state.rows.clear();
  state.detailId = null;
  sessionStorage.removeItem(SESSION_KEY);
  $("jobs-body").replaceChildren();
  $("detail").hidden = true;
  $("app").hidden = true;
  $("sign-out").hidden = true;
  $("whoami").textContent = "";
  $("sign-in").hidden = false;
  notify(message, Boolean(message));
}

async function start() {
  $("sign-in").hidden = true;
  $("app").hidden = false;
  $("sign-out").hidden = false;
  $("whoami").textContent = `signed in as ${state.session.user}`;
  state.cursors = [null];
  await loadJobs();
  clearInterval(state.timer);
  if (!state.session) return; // the token was refused
  state.timer = setInterval(() => {
    if (!document.hidden) loadJobs();
  }, REFRESH_MS);
}

// --- the jobs table ---------------------------------------------------------------------

function percentOf(job) {
  if (typeof job.percent === "number") return job.percent;
  return job.status === "COMPLETE" ? 100 : null;
}

function messageOf(job) {
  const message = job.message;
  if (message === undefined || message === null) return "";
  return typeof message === "string" ? message : JSON.stringify(message);
}

function when(ms) {
  return typeof ms === "number" ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) : "";
}

function showProgress(bar, label, job) {
  const percent = percentOf(job);
  if (percent === null) {
    bar.removeAttribute("value"); // indeterminate: no total known yet
    label.textContent = job.processed ? `${job.processed} rows` : "";
  } else {
    bar.value = percent;
    label.textContent = `${percent.toFixed(1)}%`;
  }
}

function newRow(id) {
  const row = element("tr");
  row.dataset.jobId = id;
  const open = element("button", "job-open", id.slice(0, 8));
  open.type = "button";
  open.title = id;
  open.addEventListener("click", () => openDetail(id));
  const first = element("td");
  first.append(open);
  const progress = element("td", "job-progress");
  progress.append(element("progress"), element("span", "job-percent"));
  progress.firstChild.max = 100;
  row.append(
    first,
    element("td", "job-type"),
    element("td", "job-status"),
    element("td", "job-user"),
    element("td", "job-created"),
    progress,
    element("td", "job-message"),
  );
  return row;
}

function updateRow(row, job) {
  const cell = (name) => row.querySelector(`.job-${name}`);
  cell("type").textContent = job.type || "";
  const status = cell("status");
  status.textContent = job.status || "";
  status.dataset.status = job.status || "";
  status.classList.toggle("cancelled", Boolean(job.cancelled));
  cell("user").textContent = job.user || "";
  cell("created").textContent = when(job.created_datetime);
  const progress = cell("progress");
  showProgress(progress.querySelector("progress"), progress.querySelector(".job-percent"), job);
  cell("message").textContent = messageOf(job);
}

// One record (from a page, an event or get_job): its row and, when open, its detail.
function showJob(job) {
  const row = state.rows.get(job.id);
  if (row) updateRow(row, job);
  if (state.detailId === job.id) showDetail(job);
}

// One read at a time; a call meanwhile (a click, the timer) asks for one more read after it.
async function loadJobs() {
  if (!state.session) return;
  if (state.loading) {
    state.again = true;
    return;
  }
  state.loading = true;
  try {
    do {
      state.again = false;
      const body = { operation: "search_jobs", limit: PAGE_SIZE, ...state.filters };
      const cursor = state.cursors[state.cursors.length - 1];
      if (cursor) body.next = cursor;
      const page = await api(body);
      if (!state.session) return;
      state.next = page.next;
      renderPage(page.jobs);
    } while (state.again);
  } catch (error) {
    failed(error);
  } finally {
    state.loading = false;
  }
}

function renderPage(jobs) {
  const body = $("jobs-body");
  const shown = new Set();
  const rows = jobs.map((job) => {
    shown.add(job.id);
    let row = state.rows.get(job.id);
    if (!row) {
      row = newRow(job.id);
      state.rows.set(job.id, row);
    }
    updateRow(row, job);
    return row;
  });
  body.replaceChildren(...rows); // rows are kept, so the table does not flicker
  for (const id of [...state.rows.keys()]) {
    if (!shown.has(id)) state.rows.delete(id);
  }
  for (const id of [...state.streams.keys()]) {
    if (!shown.has(id) && id !== state.detailId) unfollow(id);
  }
  for (const job of jobs) {
    if (!FINISHED.has(job.status)) follow(job.id);
  }
  $("jobs-empty").hidden = jobs.length > 0;
  $("previous-page").disabled = state.cursors.length < 2;
  $("next-page").disabled = !state.next;
  $("page-number").textContent = `page ${state.cursors.length}`;
}

function applyFilters(event) {
  event.preventDefault();
  const filters = {};
  for (const [name, id] of [["status", "filter-status"], ["type", "filter-type"], ["user", "filter-user"]]) {
    const value = $(id).value.trim();
    if (value) filters[name] = value;
  }
  state.filters = filters;
  state.cursors = [null];
  loadJobs();
}

// --- live progress ----------------------------------------------------------------------

function follow(id, always = false) {
  if (state.streams.has(id) || (!always && state.streams.size >= MAX_STREAMS)) return;
  const url = `/jobs/${encodeURIComponent(id)}/events?token=${encodeURIComponent(state.session.token)}`;
  const source = new EventSource(url);
  const onRecord = (event) => showJob(JSON.parse(event.data));
  source.addEventListener("progress", onRecord);
  source.addEventListener("done", (event) => {
    unfollow(id);
    onRecord(event);
  });
  // EventSource would reconnect for ever; the next refresh follows the job again if it runs.
  source.onerror = () => unfollow(id);
  state.streams.set(id, source);
}

function unfollow(id) {
  const source = state.streams.get(id);
  if (source) source.close();
  state.streams.delete(id);
}

// --- a job's detail ---------------------------------------------------------------------

function showDetail(job) {
  $("detail-id").textContent = job.id;
  const status = $("detail-status");
  status.textContent = job.cancelled ? `${job.status} (cancelled)` : job.status;
  status.dataset.status = job.status;
  showProgress($("detail-progress"), $("detail-percent"), job);
  $("detail-message").textContent = messageOf(job);
  $("detail-record").textContent = JSON.stringify(job, null, 2);
  $("cancel-job").disabled = FINISHED.has(job.status);
  if (FINISHED.has(job.status)) loadErrors(job.id);
}

async function loadErrors(id) {
  try {
    const answer = await api({ operation: "get_job_errors", id, limit: ERRORS_SHOWN });
    if (state.detailId !== id) return;
    const rows = answer.errors.map((fault) => {
      const row = element("tr");
      for (const value of [fault.line, fault.column, fault.reason, fault.value]) {
        row.append(element("td", null, value));
      }
      return row;
    });
    $("errors-body").replaceChildren(...rows);
    const total = answer.total;
    $("errors-summary").textContent =
      total === 0
        ? "None."
        : `${total} faulty row${total === 1 ? "" : "s"}` +
          `${total > rows.length ? `, the first ${rows.length} shown` : ""}.`;
  } catch (error) {
    failed(error);
  }
}

async function openDetail(id) {
  if (state.detailId && state.detailId !== id && !state.rows.has(state.detailId)) {
    unfollow(state.detailId);
  }
  state.detailId = id;
  $("errors-body").replaceChildren();
  $("errors-summary").textContent = "";
  $("detail").hidden = false;
  try {
    const [job] = await api({ operation: "get_job", id });
    if (state.detailId !== id || !job) return;
    showDetail(job);
    if (!FINISHED.has(job.status)) follow(id, true);
  } catch (error) {
    failed(error);
  }
}

function closeDetail() {
  if (state.detailId && !state.rows.has(state.detailId)) unfollow(state.detailId);
  state.detailId = null;
  $("detail").hidden = true;
}

async function cancelJob() {
  const id = state.detailId;
  if (!id) return;
  try {
    const answer = await api({ operation: "cancel_job", id });
    notify(answer.message);
    follow(id, true);
  } catch (error) {
    failed(error);
  }
}

// --- uploads ----------------------------------------------------------------------------

function mediaType(file) {
  const name = file.name.toLowerCase().replace(/\.(gz|zst)$/, "");
  if (name.endsWith(".json")) return "application/json";
  if (name.endsWith(".ndjson") || name.endsWith(".jsonl")) return "application/x-ndjson";
  if (name.endsWith(".csv")) return "text/csv";
  return "application/octet-stream"; // the server takes it as CSV (and tells compression by its bytes)
}

async function upload(event) {
  event.preventDefault();
  const file = $("upload-file").files[0];
  if (!file) return;
  const database = encodeURIComponent($("upload-database").value.trim());
  const table = encodeURIComponent($("upload-table").value.trim());
  const action = encodeURIComponent($("upload-action").value);
  const status = $("upload-status");
  status.textContent = `Sending ${file.name} (${file.size} bytes)…`;
  $("upload-button").disabled = true;
  try {
    // The File is the body: the browser streams it from disk, never whole into this page.
    const response = await fetch(`/load/${database}/${table}?action=${action}`, {
      method: "PUT",
      headers: { authorization: bearer(), "content-type": mediaType(file) },
      body: file,
    });
    const answer = await decode(response);
    status.textContent = `${file.name}: job ${answer.job_id}`;
    status.dataset.jobId = answer.job_id;
    state.cursors = [null];
    await loadJobs();
    if (answer.job) showJob(answer.job);
  } catch (error) {
    status.textContent = `${file.name}: ${error.message}`;
    if (error instanceof ApiError && error.status === 401) failed(error);
  } finally {
    $("upload-button").disabled = false;
  }
}

// --- wiring -----------------------------------------------------------------------------

function init() {
  const types = $("filter-type");
  for (const type of JOB_TYPES) types.append(element("option", null, type));
  const method = () => {
    const byToken = $("method-token").checked;
    $("token-fields").hidden = !byToken;
    $("password-fields").hidden = byToken;
    $("username").required = !byToken;
  };
  $("method-password").addEventListener("change", method);
  $("method-token").addEventListener("change", method);
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut());
  $("filters").addEventListener("submit", applyFilters);
  $("refresh").addEventListener("click", () => loadJobs());
  $("previous-page").addEventListener("click", () => {
    state.cursors.pop();
    loadJobs();
  });
  $("next-page").addEventListener("click", () => {
    state.cursors.push(state.next);
    loadJobs();
  });
  $("upload-form").addEventListener("submit", upload);
  $("cancel-job").addEventListener("click", cancelJob);
  $("close-detail").addEventListener("click", closeDetail);
  try {
    state.session = JSON.parse(sessionStorage.getItem(SESSION_KEY));
  } catch {
    state.session = null;
  }
  if (state.session && state.session.token) start();
}

init();
