-- Argo CD health check for occupier.dev/v1alpha1 CustomerMove (an order: runs once, like a Job).
--   Suspended    annotation occupier.dev/paused: "true"
--   Progressing  no status yet; generation not yet observed; phase Pending, Scheduled,
--                AwaitingApproval or Running
--   Degraded     phase Blocked or Failed; without a phase, Ready=False with reason
--                Degraded, Blocked, Failed or DecommissionFailed
--   Healthy      phase Succeeded; without a phase, Ready=True
local hs = {}

local DEGRADED_REASONS = { Degraded = true, Blocked = true, Failed = true, DecommissionFailed = true }

local function condition(status, ctype)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == ctype then
      return c
    end
  end
  return nil
end

-- "<label> (<reason>): <message>", leaving out what is missing.
local function explain(label, c)
  local text = label
  if c ~= nil then
    if c.reason ~= nil and c.reason ~= "" and c.reason ~= label then
      text = text .. " (" .. c.reason .. ")"
    end
    if c.message ~= nil and c.message ~= "" then
      text = text .. ": " .. c.message
    end
  end
  return text
end

local metadata = obj.metadata or {}
local annotations = metadata.annotations or {}
if annotations["occupier.dev/paused"] == "true" then
  hs.status = "Suspended"
  hs.message = "Paused by annotation occupier.dev/paused=true"
  return hs
end

local status = obj.status
if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to pick up the order"
  return hs
end

if metadata.generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < metadata.generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. metadata.generation
  return hs
end

local phase = status.phase
local ready = condition(status, "Ready")
if phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = "Succeeded"
  if status.completedAt ~= nil then
    hs.message = hs.message .. " at " .. status.completedAt
  end
elseif phase == "Failed" then
  hs.status = "Degraded"
  hs.message = explain("Failed", condition(status, "Failed") or ready)
elseif phase == "Blocked" then
  hs.status = "Degraded"
  hs.message = explain("Blocked", condition(status, "Blocked") or ready)
elseif phase == "Running" then
  hs.status = "Progressing"
  hs.message = "Running"
  if status.tasks ~= nil and #status.tasks > 0 then
    local done = 0
    for _, t in ipairs(status.tasks) do
      if t.state == "Succeeded" then
        done = done + 1
      end
    end
    hs.message = hs.message .. ": " .. done .. "/" .. #status.tasks .. " tasks succeeded"
  end
elseif phase == "Scheduled" then
  hs.status = "Progressing"
  hs.message = "Scheduled"
  if status.scheduledFor ~= nil then
    hs.message = hs.message .. " for " .. status.scheduledFor
  end
elseif phase == "AwaitingApproval" then
  hs.status = "Progressing"
  hs.message = "Awaiting approval: review status.plan, then annotate occupier.dev/approve=true"
  if status.plan ~= nil and status.plan.summary ~= nil then
    hs.message = hs.message .. " (plan: " .. status.plan.summary .. ")"
  end
elseif phase ~= nil then
  hs.status = "Progressing"
  hs.message = phase
elseif ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = explain("Ready", ready)
elseif ready ~= nil and ready.status == "False" and DEGRADED_REASONS[ready.reason] then
  hs.status = "Degraded"
  hs.message = explain("Not ready", ready)
else
  hs.status = "Progressing"
  hs.message = explain("Waiting for a phase", ready)
end
return hs
