// The AgentFlow HTTP API, same origin: relative /api/v1 URLs with the signed-in key as Bearer token.

const KEY_NAME = "agentflow.apiKey";

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details ?? [];
  }
}

export const session = {
  get key() {
    return sessionStorage.getItem(KEY_NAME);
  },
  set key(value) {
    if (value) sessionStorage.setItem(KEY_NAME, value);
    else sessionStorage.removeItem(KEY_NAME);
  },
};

let onUnauthorized = () => {};

/** What to do when the API answers 401 (the app returns to sign-in). */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

function query(params) {
  const entries = Object.entries(params ?? {}).filter(([, value]) => value !== undefined && value !== null && value !== "");
  return entries.length ? `?${new URLSearchParams(entries)}` : "";
}

/** The response's JSON body (null for 204), or an ApiError with the API's message. */
async function readResponse(response, key) {
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data?.error ?? {};
    const failure = new ApiError(
      response.status,
      error.code ?? "http_error",
      error.message ?? data?.message ?? `The API answered ${response.status}.`,
      error.details,
    );
    // Only the signed-in key's refusal ends the session (sign-in itself tries a key first).
    if (response.status === 401 && key && key === session.key) onUnauthorized(failure);
    throw failure;
  }
  return data;
}

/**
 * Call the API; resolves to the JSON body (null for 204) or rejects with an ApiError. A FormData body
 * goes as multipart/form-data (the browser writes its boundary), anything else as JSON.
 */
export async function request(method, path, { body, params, key = session.key } = {}) {
  const headers = { Accept: "application/json" };
  if (key) headers.Authorization = `Bearer ${key}`;
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`/api/v1${path}${query(params)}`, {
      method,
      headers,
      body: body === undefined || form ? body : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "unreachable", "The AgentFlow API cannot be reached.");
  }
  return readResponse(response, key);
}

/** PUT a file to a presigned storage URL with exactly the headers the API gave (no API key). */
export async function putFile(url, headers, file) {
  let response;
  try {
    response = await fetch(url, { method: "PUT", headers, body: file, credentials: "omit" });
  } catch {
    throw new ApiError(0, "unreachable", "The file could not be sent to storage: the upload URL cannot be reached.");
  }
  if (!response.ok) {
    const text = await response.text();
    const reason = text.match(/<Message>([^<]*)<\/Message>/)?.[1];
    throw new ApiError(response.status, "upload_failed", `Storage refused the file (${response.status})${reason ? `: ${reason}` : "."}`);
  }
}

export const api = {
  agentTypes: () => request("GET", "/agents/types"),
  workflows: (params) => request("GET", "/workflows", { params }),
  workflow: (id) => request("GET", `/workflows/${encodeURIComponent(id)}`),
  createWorkflow: (definition) => request("POST", "/workflows", { body: definition }),
  workflowVersions: (id) => request("GET", `/workflows/${encodeURIComponent(id)}/versions`),
  workflowVersion: (id, version) => request("GET", `/workflows/${encodeURIComponent(id)}/versions/${encodeURIComponent(version)}`),
  updateWorkflow: (id, definition) => request("PUT", `/workflows/${encodeURIComponent(id)}`, { body: definition }),
  deleteWorkflow: (id) => request("DELETE", `/workflows/${encodeURIComponent(id)}`),
  startExecution: (workflowId, input) => request("POST", "/executions", { body: { workflow_id: workflowId, input } }),
  executions: (params) => request("GET", "/executions", { params }),
  execution: (id) => request("GET", `/executions/${encodeURIComponent(id)}`),
  timeline: (id) => request("GET", `/executions/${encodeURIComponent(id)}/timeline`),
  logs: (id, params) => request("GET", `/executions/${encodeURIComponent(id)}/logs`, { params }),
  stopExecution: (id) => request("POST", `/executions/${encodeURIComponent(id)}/stop`),
  resumeExecution: (id) => request("POST", `/executions/${encodeURIComponent(id)}/resume`, { body: {} }),
  approvals: (params) => request("GET", "/approvals", { params }),
  decideApproval: (executionId, nodeId, decision) =>
    request("POST", `/executions/${encodeURIComponent(executionId)}/approvals/${encodeURIComponent(nodeId)}`, { body: decision }),
  schedules: (workflowId) => request("GET", `/workflows/${encodeURIComponent(workflowId)}/schedules`),
  createSchedule: (workflowId, schedule) =>
    request("POST", `/workflows/${encodeURIComponent(workflowId)}/schedules`, { body: schedule }),
  updateSchedule: (workflowId, scheduleId, patch) =>
    request("PATCH", `/workflows/${encodeURIComponent(workflowId)}/schedules/${encodeURIComponent(scheduleId)}`, { body: patch }),
  deleteSchedule: (workflowId, scheduleId) =>
    request("DELETE", `/workflows/${encodeURIComponent(workflowId)}/schedules/${encodeURIComponent(scheduleId)}`),
  documents: (params) => request("GET", "/documents", { params }),
  document: (id) => request("GET", `/documents/${encodeURIComponent(id)}`),
  deleteDocument: (id) => request("DELETE", `/documents/${encodeURIComponent(id)}`),
  uploadDocument: (form) => request("POST", "/documents", { body: form }),
  createUpload: (upload) => request("POST", "/documents/uploads", { body: upload }),
  searchDocuments: (search) => request("POST", "/documents/search", { body: search }),
};
