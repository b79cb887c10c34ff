mod access_agreement;
mod csv_corpus;
mod csv_fuzz;
