-- 0007: classification of a normalised record as one SQL function, so every way a record
-- reaches the index (a CPR-button press, a bulk sync) classifies it the same way, set-based.

CREATE FUNCTION record_classify(p_source_id text, p_source_code text, p_legal_basis_raw text,
                                p_on_date date)
    RETURNS TABLE (case_type text, area text, legal_basis text, sensitivity sensitivity_level)
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT ct.code,
           coalesce(ct.area, d.area),
           CASE WHEN lb.case_type = ct.code THEN lb.current_legal_basis
                ELSE coalesce(ctc.legal_basis, lb.current_legal_basis, nullif(p_legal_basis_raw, ''))
           END,
           ct.sensitivity
      FROM source s
      JOIN department d ON d.id = s.department
      LEFT JOIN LATERAL (
            SELECT r.case_type, r.current_legal_basis
              FROM legal_basis_resolve(nullif(p_legal_basis_raw, ''), coalesce(p_on_date, current_date)) r
             LIMIT 1) lb ON true
      LEFT JOIN source_code_map m ON m.adapter_kind = s.kind AND m.source_code = p_source_code
      JOIN case_type ct ON ct.code = coalesce(m.case_type, lb.case_type, 'unclassified')
      LEFT JOIN case_type_current ctc ON ctc.code = ct.code
     WHERE s.id = p_source_id;
END;
COMMENT ON FUNCTION record_classify(text, text, text, date) IS 'The case type, area, current legal basis and sensitivity of a record from source p_source_id: the system''s own code through source_code_map first (the most specific thing a record says about itself), else the legal basis as the source wrote it, resolved by legal_basis_resolve for the record''s date (start, else document date, else today), else ''unclassified'' — visible, never silent — in the area of the source''s department. No row for an unknown source.';
