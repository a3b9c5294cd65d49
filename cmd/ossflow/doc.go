// Command ossflow is the ossflow object store in one binary: "ossflow
// server" runs the server, and the other subcommands are its command-line
// client:
//
//	ossflow server [--addr 127.0.0.1:9000] [--data ./ossflow-data] [--region cn-hangzhou] [--domain d]... [--pyroscope-url url]
//	ossflow mb oss://bucket
//	ossflow rb oss://bucket
//	ossflow ls [oss://bucket[/prefix]] [-r]
//	ossflow cp SRC DST            (a local file, - for stdin/stdout, or oss://bucket/key)
//	ossflow rm oss://bucket/key | rm -r oss://bucket[/prefix]
//	ossflow stat oss://bucket/key
//	ossflow cat oss://bucket/key
//	ossflow presign oss://bucket/key [--expires 1h] [--method GET|PUT]
//	ossflow admin user|key|policy|sts ...  (sub-users, access keys, policies, STS tokens)
//
// Every flag also has an environment variable (OSSFLOW_ADDR, OSSFLOW_DATA,
// OSSFLOW_REGION, OSSFLOW_DOMAINS, OSSFLOW_PYROSCOPE_URL, OSSFLOW_ENDPOINT);
// a flag beats its variable, which beats the default. Client commands take
// the credentials from OSSFLOW_ACCESS_KEY_ID / OSSFLOW_ACCESS_KEY_SECRET, or
// else from the credentials file of the data directory. --json prints one
// JSON object per line.
//
// main only calls doMain with the process's arguments, environment and
// standard streams, so that tests run every command in-process. New
// subcommands are added to the table in commands().
package main
