DROP TABLE wp_users;
