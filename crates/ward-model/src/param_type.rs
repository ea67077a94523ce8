//! The types a control's parameters have, shared by the rule language, WASM plugins and the
//! command line that converts values given as text.

use serde_json::Value;

/// A parameter's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamType {
    Number,
    String,
    Bool,
    List(Box<ParamType>),
}

impl std::fmt::Display for ParamType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamType::Number => f.write_str("number"),
            ParamType::String => f.write_str("string"),
            ParamType::Bool => f.write_str("bool"),
            ParamType::List(inner) => write!(f, "list<{inner}>"),
        }
    }
}

impl ParamType {
    /// Whether a JSON value has this type.
    pub fn accepts(&self, value: &Value) -> bool {
        match (self, value) {
            (ParamType::Number, Value::Number(_))
            | (ParamType::String, Value::String(_))
            | (ParamType::Bool, Value::Bool(_)) => true,
            (ParamType::List(inner), Value::Array(items)) => items.iter().all(|i| inner.accepts(i)),
            _ => false,
        }
    }

    /// Converts a value given as text (command line, Config `ruleParameters`) or as JSON.
    pub fn convert(&self, value: &Value) -> Result<Value, String> {
        if self.accepts(value) {
            return Ok(value.clone());
        }
        let text = match value {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => return Err(format!("expected {self}, found `{other}`")),
        };
        match self {
            ParamType::String => Ok(Value::String(text)),
            ParamType::Number => text
                .parse::<f64>()
                .ok()
                .and_then(|n| {
                    if n.fract() == 0.0 && n.abs() < 9.0e15 {
                        Some(Value::from(n as i64))
                    } else {
                        serde_json::Number::from_f64(n).map(Value::Number)
                    }
                })
                .ok_or_else(|| format!("expected a number, found `{text}`")),
            ParamType::Bool => match text.to_ascii_lowercase().as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(format!("expected `true` or `false`, found `{text}`")),
            },
            ParamType::List(inner) => {
                if text.starts_with('[') {
                    let parsed: Value = serde_json::from_str(&text)
                        .map_err(|e| format!("expected {self} as JSON: {e}"))?;
                    if let Value::Array(items) = parsed {
                        return items
                            .iter()
                            .map(|i| inner.convert(i))
                            .collect::<Result<Vec<_>, _>>()
                            .map(Value::Array);
                    }
                }
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| inner.convert(&Value::String(s.to_string())))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array)
            }
        }
    }
}
