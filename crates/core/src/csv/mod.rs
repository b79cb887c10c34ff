//! CSV import and export of users: the one file format account owners move users in and out with.
//!
//! Import ([`ImportReader`]) accepts what people actually produce — Excel's UTF-8, UTF-16 and
//! Windows-1252 files, `,` `;` or tab separators, any line ends, quotes, stray spaces, blank
//! lines, a header added anyway — and streams one [`ImportRecord`] per line with the physical line
//! number, so a file of a million lines is read in bounded memory and every rejected line can be
//! found in a text editor. Export ([`ExportWriter`]) writes the audit list Excel opens as-is,
//! with formula-looking cells neutralised; an export re-imports with the same emails and phones.
//!
//! The pieces: `decode` (encoding sniffing and streaming transcoding), `tokenize` (records and
//! line counting), `import` (records to users or reasons), `export` (the writer).

mod decode;
mod export;
mod import;
mod tokenize;

pub use export::{
    write_rejected, write_row, AuditRecord, AuditWriter, ExportRecord, ExportWriter, AUDIT_HEADER,
    EXPORT_HEADER, UTF8_BOM,
};
pub use import::{CsvError, DetectedFormat, ImportReader, ImportRecord, ImportRow, LineIssue};
