//! Hài Lòng provincial server.
