//! Reading the JSON exports: parsing, and typed access to an entry object's keys.

use serde_json::{Map, Value};

use super::ImportError;
use crate::entry::{FieldValue, Fields};

pub(super) fn parse_json(text: &str) -> Result<Value, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str(text).map_err(|e| ImportError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

pub(super) fn entries_array<'a>(
    root: &'a Value,
    what: &str,
) -> Result<&'a Vec<Value>, ImportError> {
    root.get("entries")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ImportError::Shape(format!(
                "no `entries` array at the top level; is this {what}?"
            ))
        })
}

/// A list of strings, or an error naming the key.
pub(super) fn string_list(obj: &Map<String, Value>, key: &str) -> Result<Vec<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("`{key}` must be a list of strings"))
            })
            .collect(),
        Some(_) => Err(format!("`{key}` must be a list of strings")),
    }
}

pub(super) fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

pub(super) fn opt_bool(obj: &Map<String, Value>, key: &str) -> Result<bool, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("`{key}` must be true or false")),
    }
}

pub(super) fn fields_from_json(value: Option<&Value>) -> Result<Fields, String> {
    let mut fields = Fields::new();
    let obj = match value {
        None | Some(Value::Null) => return Ok(fields),
        Some(Value::Object(obj)) => obj,
        Some(_) => return Err("`fields` must be an object".into()),
    };
    for (key, v) in obj {
        let value = match v {
            Value::Bool(b) => FieldValue::Bool(*b),
            Value::Number(n) => FieldValue::Int(
                n.as_i64()
                    .ok_or_else(|| format!("field `{key}` must be a whole number"))?,
            ),
            Value::String(s) => FieldValue::Text(s.clone()),
            Value::Array(items) => FieldValue::List(
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| format!("field `{key}` must be a list of strings"))?,
            ),
            _ => return Err(format!("field `{key}` has an unsupported value")),
        };
        fields.insert(key.clone(), value);
    }
    Ok(fields)
}
