-- One pipeline database per role that publishes (a host's outbox delivers whatever its database holds; docs/iam.md),
-- and the registry the deployment and serving hosts share.
CREATE DATABASE bus_pipeline;
CREATE DATABASE bus_deployment;
CREATE DATABASE bus_serving;
CREATE DATABASE bus_registry;
