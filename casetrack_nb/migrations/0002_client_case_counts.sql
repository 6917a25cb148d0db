-- Each client's case counts, kept by the package in the transaction that writes the cases,
-- so that the client list and the portfolio summary do not count a million cases per page.

CREATE TABLE client_case_counts (
    client_id    INTEGER NOT NULL,
    active_cases INTEGER NOT NULL,
    total_cases  INTEGER NOT NULL
);

INSERT INTO client_case_counts
SELECT client_id, count(*) FILTER (status = 'activa'), count(*)
FROM cases
WHERE client_id IS NOT NULL
GROUP BY client_id;
