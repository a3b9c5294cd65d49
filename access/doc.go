// Package access is ossflow's access-control core: the OSS/RAM policy
// language, request evaluation, identities and STS tokens.
package access
