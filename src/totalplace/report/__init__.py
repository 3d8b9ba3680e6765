"""Reports a finance officer can open: Excel workbooks, CSV/Parquet and data packages."""
