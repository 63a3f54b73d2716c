-- Which documents a person may register with, per country: nationals, foreigners with their own
-- state's documents, and foreigners with a document this country issues to residents.
INSERT INTO document_policies (country, national_documents, foreign_documents, resident_documents, conservative, source) VALUES
  ('TH', '{national_id}', '{passport}', '{national_id}', false, 'NBTC notifications on mobile subscriber identification and registration (2017, biometric verification 2018): Thai nationals by the Thai national ID card; foreigners by passport or a Thai identity card for non-Thai residents'),
  ('CN', '{national_id}', '{passport}', '{}', false, 'MIIT Order No. 25 (2013), Provisions on the Registration of Real Identity Information of Telephone Users, and the Anti-Telecom and Online Fraud Law (2022) art. 9: residents by resident identity card; foreigners by passport'),
  ('VN', '{national_id,id_card}', '{passport}', '{}', false, 'Decree 163/2024/ND-CP (telecommunications subscriber information): Vietnamese citizens by citizen identity (CCCD/can cuoc) card; foreigners by passport'),
  ('MM', '{national_id}', '{passport}', '{}', false, 'PTD SIM registration directives (2017, 2020): citizens by National Registration Card; foreigners by passport'),
  ('KH', '{national_id,id_card}', '{passport}', '{}', true, 'Sub-decree on SIM identification registration (3 February 2023): no list of accepted documents per nationality published; conservative default'),
  ('LA', '{national_id}', '{passport}', '{}', true, 'MTC notices on SIM registration (June 2020, September 2023): no list of accepted documents per nationality published; conservative default');
