-- Argo CD health check for occupier.dev/v1alpha1 Occupier.
--   Suspended    annotation occupier.dev/paused: "true"
--   Healthy      phase Decommissioned (the end of its life: nothing more will happen)
--   Progressing  no status yet; generation not yet observed; Ready not True for a
--                transient reason (e.g. InProgress, Provisioning); no Ready condition yet
--   Degraded     phase DecommissionFailed; condition Degraded=True (a driver failed
--                permanently or the plan has a problem); Ready=False with reason
--                Degraded, Blocked, Failed, DecommissionFailed or Invalid*
--   Healthy      Ready=True (whatever the lifecycle phase: Active, MoveScheduled, ...)
local hs = {}

local DEGRADED_REASONS = { Degraded = true, Blocked = true, Failed = true, DecommissionFailed = true }

local function degradedReason(reason)
  return reason ~= nil and (DEGRADED_REASONS[reason] == true or string.sub(reason, 1, 7) == "Invalid")
end

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
  hs.message = "Waiting for the operator to report status"
  return hs
end

-- A decommissioned occupier ignores spec changes (condition Immutable), so this comes
-- before the generation check.
if status.phase == "Decommissioned" then
  hs.status = "Healthy"
  hs.message = "Decommissioned"
  return hs
end

if metadata.generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < metadata.generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. metadata.generation
  return hs
end

local ready = condition(status, "Ready")
local degraded = condition(status, "Degraded")
if status.phase == "DecommissionFailed" then
  hs.status = "Degraded"
  hs.message = explain("DecommissionFailed", ready)
elseif degraded ~= nil and degraded.status == "True" then
  hs.status = "Degraded"
  hs.message = explain("Degraded", degraded)
elseif ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
elseif ready.status == "True" then
  hs.status = "Healthy"
  hs.message = explain(status.phase or "Ready", ready)
elseif ready.status == "False" and degradedReason(ready.reason) then
  hs.status = "Degraded"
  hs.message = explain("Not ready", ready)
else
  hs.status = "Progressing"
  hs.message = explain("Not ready", ready)
end
return hs
