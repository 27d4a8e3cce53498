package scenarios

// Schema is the JSON Schema (draft 2020-12) of a scenario file's
// documents, served at GET /_sandbox/scenarios/schema so that editors can
// check files (YAML language servers take JSON Schemas). The loader checks
// more than it can say (actions and their values, rule fields): its errors
// name the file, line and field.
const Schema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://vendorsim.local/_sandbox/scenarios/schema",
  "title": "vendorsim scenario file",
  "description": "One scenario per YAML document. See docs/scenarios.md.",
  "type": "object",
  "required": ["name", "steps"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "minLength": 1, "description": "Unique name, e.g. qa.sms.slow_then_fail."},
    "vendor": {"type": "string", "description": "The vendor whose actions and endpoints the scenario uses."},
    "description": {"type": "string"},
    "params": {
      "type": "array",
      "items": {
        "oneOf": [
          {"type": "string", "minLength": 1},
          {
            "type": "object",
            "required": ["name"],
            "additionalProperties": false,
            "properties": {
              "name": {"type": "string", "minLength": 1},
              "type": {"type": "string", "description": "string, number, integer, boolean, duration, phone, or an id (message_id, meeting_id, ...).", "pattern": "^(string|number|integer|boolean|duration|phone|id|[a-z0-9_]+_id)$"},
              "description": {"type": "string"},
              "default": {"type": ["string", "number", "boolean"]},
              "required": {"type": "boolean"}
            }
          }
        ]
      }
    },
    "emits": {"type": "array", "items": {"type": "string"}, "description": "The webhook event types emitted, in order."},
    "magic": {
      "type": "array",
      "items": {
        "type": "object",
        "required": ["suffix", "trigger"],
        "additionalProperties": false,
        "properties": {
          "suffix": {"type": "string", "pattern": "^[0-9]{2}$"},
          "trigger": {"type": "string"}
        }
      }
    },
    "internal": {"type": "boolean", "description": "A timeline the vendor itself starts; listed, not meant to be run by hand."},
    "steps": {"$ref": "#/$defs/steps"}
  },
  "$defs": {
    "duration": {"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$|^0$"},
    "steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}},
    "step": {
      "type": "object",
      "properties": {
        "after": {"$ref": "#/$defs/duration"},
        "with": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}},
        "action": {"type": "string", "description": "A vendor action such as whippy.message.status."},
        "wait": {"$ref": "#/$defs/duration"},
        "endpoint": {"enum": ["down", "up"]},
        "fault": {"type": "object", "description": "A request fault rule, as POST /_sandbox/faults takes (give it an id to lift it)."},
        "lift_fault": {"type": "string"},
        "chaos": {"type": "object", "description": "A webhook chaos rule, as POST /_sandbox/chaos takes."},
        "lift_chaos": {"type": "string"},
        "repeat": {"type": "integer", "minimum": 1},
        "steps": {"$ref": "#/$defs/steps"}
      },
      "additionalProperties": false,
      "oneOf": [
        {"required": ["action"]},
        {"required": ["wait"]},
        {"required": ["endpoint"]},
        {"required": ["fault"]},
        {"required": ["lift_fault"]},
        {"required": ["chaos"]},
        {"required": ["lift_chaos"]},
        {"required": ["repeat", "steps"]}
      ]
    }
  }
}
`
