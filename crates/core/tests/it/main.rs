mod csv_corpus;
mod csv_fuzz;
