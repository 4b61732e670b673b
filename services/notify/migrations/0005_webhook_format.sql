-- A provider's webhook comes as Standard Webhooks (the thin JSON body) or as a CloudEvent
-- (structured content mode), the receiver's choice; both are signed the same way.
ALTER TABLE webhooks ADD COLUMN format text NOT NULL DEFAULT 'standard-webhooks'
    CHECK (format IN ('standard-webhooks', 'cloudevents'));
