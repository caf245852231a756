# Shared by the benchmark scripts (sourced, not run).

# load_online_retail SCHEMA PATH: UCI Online Retail into SCHEMA.lines.
# Cleaning as in issue 6: no cancellations (InvoiceNo 'C...'), Quantity > 0,
# UnitPrice > 0, a CustomerID.  Items are StockCodes, numbered in code order.
load_online_retail() {
  local schema=$1 data=$2
  psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
DROP SCHEMA IF EXISTS $schema CASCADE;
CREATE SCHEMA $schema;
CREATE TABLE $schema.raw(invoice_no text, stock_code text, description text, quantity int,
  invoice_date timestamp, unit_price numeric, customer_id text, country text);
SQL
  gzip -dc "$data" | psql -X -q -v ON_ERROR_STOP=1 -c "\\copy $schema.raw FROM STDIN WITH (FORMAT csv, HEADER true)"
  psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE $schema.lines AS
SELECT r.invoice_no, i.item_id, r.quantity, r.invoice_date, r.customer_id::numeric::bigint AS customer_id
FROM $schema.raw r
JOIN (SELECT row_number() OVER (ORDER BY stock_code)::bigint AS item_id, stock_code
      FROM (SELECT DISTINCT stock_code FROM $schema.raw) s) i USING (stock_code)
WHERE r.invoice_no NOT LIKE 'C%' AND r.quantity > 0 AND r.unit_price > 0 AND r.customer_id IS NOT NULL;
DROP TABLE $schema.raw;
ANALYZE $schema.lines;
SQL
}
