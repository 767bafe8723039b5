"""The pipeline that publishes the book: load, check, template, convert, publish."""
