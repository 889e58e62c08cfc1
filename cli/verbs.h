/* Entry points of the `weft` verbs; each lives in its own cli/ module. */
#ifndef WF_CLI_VERBS_H
#define WF_CLI_VERBS_H

int weft_flow_main(int argc, char **argv); /* cli/flow_validate.c: `weft flow validate` */

#endif
