/// A value that breaks a rule: which field, and why, in words for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// The field as the request (or the CSV header) names it.
    pub field: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &str, message: impl Into<String>) -> ValidationError {
        ValidationError {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ValidationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}
