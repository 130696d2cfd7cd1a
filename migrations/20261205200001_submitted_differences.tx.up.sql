-- What a submitter system (API) stated about an existing beneficiary that
-- differs from the registry copy. The registry copy is never changed by a
-- submitter; the differences stay on the practice for the operator to see.
CREATE TABLE practice_submitted_difference (
    practice_number char(18) NOT NULL,
    field           text NOT NULL,     -- firstName, lastName, email, ...
    submitted       text NOT NULL,     -- validated, bounded (see package person)
    registry        text NOT NULL,
    PRIMARY KEY (practice_number, field)
);
