DROP INDEX `spans_service_duration`;--> statement-breakpoint
DROP INDEX `spans_service_start`;--> statement-breakpoint
DROP INDEX `spans_start`;--> statement-breakpoint
CREATE INDEX `spans_service_start` ON `spans` (`service_name`,`start_time`,`duration`);--> statement-breakpoint
CREATE INDEX `spans_start` ON `spans` (`start_time`,`duration`);