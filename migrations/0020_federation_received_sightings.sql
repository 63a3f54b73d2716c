CREATE TABLE "federation_received_sightings" (
	"partner_id" text NOT NULL,
	"sighting_id" text NOT NULL,
	"indicator_id" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "federation_received_sightings_partner_id_sighting_id_pk" PRIMARY KEY("partner_id","sighting_id")
);
