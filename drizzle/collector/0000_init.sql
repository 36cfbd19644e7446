CREATE TABLE `operations` (
	`service_name` text NOT NULL,
	`name` text NOT NULL,
	`kind` integer NOT NULL,
	PRIMARY KEY(`service_name`, `name`, `kind`)
);
--> statement-breakpoint
CREATE TABLE `resources` (
	`id` text PRIMARY KEY NOT NULL,
	`service_name` text NOT NULL,
	`attributes` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `span_events` (
	`trace_id` text NOT NULL,
	`span_id` text NOT NULL,
	`position` integer NOT NULL,
	`span_start_time` integer NOT NULL,
	`time` integer NOT NULL,
	`name` text NOT NULL,
	`attributes` text NOT NULL,
	PRIMARY KEY(`trace_id`, `span_id`, `position`)
);
--> statement-breakpoint
CREATE INDEX `span_events_start` ON `span_events` (`span_start_time`);--> statement-breakpoint
CREATE TABLE `span_links` (
	`trace_id` text NOT NULL,
	`span_id` text NOT NULL,
	`position` integer NOT NULL,
	`span_start_time` integer NOT NULL,
	`linked_trace_id` text NOT NULL,
	`linked_span_id` text NOT NULL,
	`trace_state` text NOT NULL,
	`attributes` text NOT NULL,
	PRIMARY KEY(`trace_id`, `span_id`, `position`)
);
--> statement-breakpoint
CREATE INDEX `span_links_start` ON `span_links` (`span_start_time`);--> statement-breakpoint
CREATE TABLE `spans` (
	`trace_id` text NOT NULL,
	`span_id` text NOT NULL,
	`parent_span_id` text,
	`service_name` text NOT NULL,
	`name` text NOT NULL,
	`kind` integer NOT NULL,
	`start_time` integer NOT NULL,
	`duration` integer NOT NULL,
	`status_code` integer NOT NULL,
	`status_message` text NOT NULL,
	`trace_state` text NOT NULL,
	`flags` integer NOT NULL,
	`attributes` text NOT NULL,
	`dropped_attributes_count` integer NOT NULL,
	`dropped_events_count` integer NOT NULL,
	`dropped_links_count` integer NOT NULL,
	`resource_id` text NOT NULL,
	`scope_name` text NOT NULL,
	`scope_version` text NOT NULL,
	PRIMARY KEY(`trace_id`, `span_id`)
);
--> statement-breakpoint
CREATE INDEX `spans_service_start` ON `spans` (`service_name`,`start_time`);--> statement-breakpoint
CREATE INDEX `spans_duration` ON `spans` (`duration`);--> statement-breakpoint
CREATE INDEX `spans_start` ON `spans` (`start_time`);