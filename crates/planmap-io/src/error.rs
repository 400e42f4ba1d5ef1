//! I/O errors, each naming the file or input and what is wrong with it.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum IoError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Plan(#[from] planmap_core::PlanError),
}

impl IoError {
    pub fn format(path: impl Into<String>, message: impl Into<String>) -> Self {
        IoError::Format {
            path: path.into(),
            message: message.into(),
        }
    }
}
