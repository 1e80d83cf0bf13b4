/* Subcommands of the glasplade binary. Each returns the process exit status:
 * 0 success, 1 failure at run time, 2 bad usage or configuration. */
#ifndef GP_COMMANDS_H
#define GP_COMMANDS_H

int gp_cmd_serve(int argc, char **argv);
int gp_cmd_migrate(int argc, char **argv);
int gp_cmd_token(int argc, char **argv);
int gp_cmd_source(int argc, char **argv);
int gp_cmd_sync(int argc, char **argv);
int gp_cmd_errors(int argc, char **argv);
int gp_cmd_audit(int argc, char **argv);

/* Loads the configuration from the environment, printing the reason on failure. When
 * need_db is set, GLASPLADE_DATABASE_URL must be present. */
struct gp_config;
int gp_cmd_load_config(struct gp_config *cfg, int need_db);

#endif
