package auth

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// awsV4SigningKey derives the SigV4 signing key.
func awsV4SigningKey(sk, date, region, service string) []byte {
	k := hmacSHA256([]byte(awsV4KeyPrefix+sk), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, awsV4Terminator)
}

// awsV4CanonicalHeaders renders the signed headers, in the order listed,
// as "name:value\n" lines (values trimmed, inner runs of spaces collapsed,
// multiple values joined by ',').
func awsV4CanonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range headerValues(r, name) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(trimAll(v))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// awsV4Paths returns the canonical URI candidates: the path exactly as
// sent (S3 does not normalise or double-encode it) and, when different, its
// canonical re-encoding, for clients that sent characters unescaped that
// they escaped when signing.
func awsV4Paths(r *http.Request) []string {
	raw := rawPath(r)
	out := []string{raw}
	if dec, err := url.PathUnescape(raw); err == nil {
		out = addCandidate(out, uriEncode(dec, true))
	}
	return out
}

// awsV4Queries returns the canonical query candidates: the decoded pairs
// re-encoded canonically and, when different, the raw pairs as sent,
// sorted (what botocore signs).
func awsV4Queries(query []queryPair, skip string) []string {
	out := []string{canonicalQueryV4(query, false, false, skip)}
	var raw []queryPair
	for _, p := range query {
		if p.key != skip {
			raw = append(raw, p)
		}
	}
	return addCandidate(out, canonicalQueryV4(raw, false, true, ""))
}

type awsV4Check struct {
	sk, date, region, amzDate, signedList, payload, sig string
	signed                                              []string
	skipQuery                                           string
	query                                               []queryPair
}

// match tries every canonical candidate; it returns the signing key on
// success, otherwise the first StringToSign and canonical request for the
// error report.
func (c awsV4Check) match(r *http.Request) (key []byte, sts, canonical string, ok bool) {
	key = awsV4SigningKey(c.sk, c.date, c.region, awsService)
	scope := c.date + "/" + c.region + "/" + awsService + "/" + awsV4Terminator
	headers := awsV4CanonicalHeaders(r, c.signed)
	for _, p := range awsV4Paths(r) {
		for _, q := range awsV4Queries(c.query, c.skipQuery) {
			cr := r.Method + "\n" + p + "\n" + q + "\n" + headers + "\n" + c.signedList + "\n" + c.payload
			s := awsV4Algorithm + "\n" + c.amzDate + "\n" + scope + "\n" + sha256Hex(cr)
			if sts == "" {
				sts, canonical = s, cr
			}
			if constEq(hex.EncodeToString(hmacSHA256(key, s)), c.sig) {
				return key, s, cr, true
			}
		}
	}
	return nil, sts, canonical, false
}

// unsignedAmzHeaders lists x-amz-* headers of r that are not signed.
func unsignedAmzHeaders(r *http.Request, signed []string, exempt string) string {
	set := map[string]bool{}
	for _, h := range signed {
		set[h] = true
	}
	var missing []string
	for k := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") && !set[lk] && lk != exempt {
			missing = append(missing, lk)
		}
	}
	sort.Strings(missing)
	return strings.Join(missing, ",")
}

// checkAmzPayloadHash validates an x-amz-content-sha256 value.
func checkAmzPayloadHash(v string) error {
	switch v {
	case UnsignedPayload, StreamingSignedPayload, StreamingSignedPayloadTrailer, StreamingUnsignedPayloadTrailer:
		return nil
	case streamingECDSAPayload, streamingECDSAPayloadTrailer:
		return newError(CodeNotImplemented, http.StatusNotImplemented, "SigV4a (ECDSA) streaming signatures are not implemented.")
	}
	if isHexSHA256(v) {
		return nil
	}
	return errInvalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.", headerAmzContentSHA256, v)
}

func (v *Verifier) verifyAWSV4Header(ctx context.Context, r *http.Request, rest string, query []queryPair, now time.Time) (Result, error) {
	res := Result{Scheme: SchemeAWSV4, Dialect: DialectS3}
	params, ok := parseAuthParams(rest)
	if !ok {
		return res, errMalformed(DialectS3, false, "The authorization header is malformed.")
	}
	credStr, signedStr, sig := params["Credential"], params["SignedHeaders"], strings.ToLower(params["Signature"])
	if credStr == "" || signedStr == "" || sig == "" {
		return res, errMalformed(DialectS3, false, "The authorization header is malformed; it must contain Credential, SignedHeaders and Signature.")
	}
	cred, ok := parseV4Credential(credStr, awsV4Terminator)
	if !ok {
		return res, errMalformed(DialectS3, false, malformedCredentialMessage)
	}
	if cred.product != awsService {
		return res, errMalformed(DialectS3, false, "The authorization header is malformed; incorrect service \""+cred.product+"\". This endpoint belongs to \"s3\".")
	}
	res.AccessKeyID, res.Region = cred.accessKeyID, cred.region
	res.SecurityToken = r.Header.Get(headerAmzSecurityToken)
	signed := splitHeaderList(signedStr)
	if !contains(signed, "host") {
		return res, errMalformed(DialectS3, false, "The authorization header is malformed; the host header must be signed.")
	}

	amzDate := r.Header.Get(headerAmzDate)
	var reqTime time.Time
	if amzDate != "" {
		t, err := time.Parse(iso8601Basic, amzDate)
		if err != nil {
			return res, errMissingDate(DialectS3)
		}
		reqTime = t
	} else {
		if reqTime, ok = parseHTTPDate(r.Header.Get("Date")); !ok {
			return res, errMissingDate(DialectS3)
		}
		amzDate = reqTime.UTC().Format(iso8601Basic)
	}
	res.SigningTime = reqTime
	if reqTime.UTC().Format(yyyymmdd) != cred.date {
		return res, errMalformed(DialectS3, false, invalidCredentialDateMessage)
	}

	payload := r.Header.Get(headerAmzContentSHA256)
	if payload == "" {
		return res, newError(CodeInvalidRequest, http.StatusBadRequest, "Missing required header for this request: x-amz-content-sha256")
	}
	if err := checkAmzPayloadHash(payload); err != nil {
		return res, err
	}
	res.PayloadHash = payload
	if missing := unsignedAmzHeaders(r, signed, ""); missing != "" {
		e := errAccessDenied("There were headers present in the request which were not signed")
		e.HeadersNotSigned = missing
		return res, e
	}

	sk, err := v.secret(ctx, DialectS3, cred.accessKeyID)
	if err != nil {
		return res, err
	}
	if err := v.checkSkew(reqTime, now); err != nil {
		return res, err
	}
	c := awsV4Check{
		sk: sk, date: cred.date, region: cred.region, amzDate: amzDate,
		signedList: strings.Join(signed, ";"), signed: signed, payload: payload, sig: sig, query: query,
	}
	key, sts, canonical, ok := c.match(r)
	if !ok {
		return res, errSignatureMismatch(cred.accessKeyID, sig, sts, canonical)
	}
	res.SeedSignature = sig
	res.SigningKey = key
	res.Scope = cred.date + "/" + cred.region + "/" + awsService + "/" + awsV4Terminator
	return res, nil
}

func (v *Verifier) verifyAWSV4Query(ctx context.Context, r *http.Request, query []queryPair, now time.Time) (Result, error) {
	res := Result{Scheme: SchemeAWSV4, Dialect: DialectS3, Presigned: true}
	alg, _ := firstValue(query, queryAmzAlgorithm)
	credStr, _ := firstValue(query, queryAmzCredential)
	amzDate, _ := firstValue(query, queryAmzDate)
	expStr, hasExp := firstValue(query, queryAmzExpires)
	signedStr, _ := firstValue(query, queryAmzSignedHeaders)
	sig, _ := firstValue(query, queryAmzSignature)
	res.SecurityToken, _ = firstValue(query, queryAmzSecurityToken)
	qerr := func(msg string) (Result, error) { return res, errMalformed(DialectS3, true, msg) }
	if alg == "" || credStr == "" || amzDate == "" || !hasExp || signedStr == "" || sig == "" {
		return qerr(presignedV4MissingParametersMessage)
	}
	if alg != awsV4Algorithm {
		return qerr("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	cred, ok := parseV4Credential(credStr, awsV4Terminator)
	if !ok || cred.product != awsService {
		return qerr("Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	res.AccessKeyID, res.Region = cred.accessKeyID, cred.region
	signTime, err := time.Parse(iso8601Basic, amzDate)
	if err != nil {
		return qerr("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	res.SigningTime = signTime
	if signTime.Format(yyyymmdd) != cred.date {
		return qerr("Error parsing the X-Amz-Credential parameter; incorrect date format. This date in the credential must be in the format \"yyyyMMdd\" and match X-Amz-Date.")
	}
	exp, err := strconv.ParseInt(expStr, 10, 64)
	if err != nil {
		return qerr("X-Amz-Expires should be a number")
	}
	if exp < 0 {
		return qerr("X-Amz-Expires must be non-negative")
	}
	if exp > maxPresignExpiry {
		return qerr("X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	signed := splitHeaderList(signedStr)
	if !contains(signed, "host") {
		return qerr("Error parsing the X-Amz-SignedHeaders parameter; the host header must be signed.")
	}
	res.Expires = signTime.Add(time.Duration(exp) * time.Second)
	if now.After(res.Expires) {
		return res, errExpired(DialectS3, res.Expires, now)
	}
	if signTime.After(now.Add(v.maxSkew())) {
		return res, errNotYetValid()
	}

	payload := UnsignedPayload
	if contains(signed, headerAmzContentSHA256) {
		payload = r.Header.Get(headerAmzContentSHA256)
	} else if qp, ok := firstValue(query, queryAmzContentSHA256); ok {
		payload = qp
	}
	if err := checkAmzPayloadHash(payload); err != nil {
		return res, err
	}
	res.PayloadHash = payload
	if missing := unsignedAmzHeaders(r, signed, headerAmzContentSHA256); missing != "" {
		e := errAccessDenied("There were headers present in the request which were not signed")
		e.HeadersNotSigned = missing
		return res, e
	}

	sk, err := v.secret(ctx, DialectS3, cred.accessKeyID)
	if err != nil {
		return res, err
	}
	c := awsV4Check{
		sk: sk, date: cred.date, region: cred.region, amzDate: amzDate,
		signedList: strings.Join(signed, ";"), signed: signed, payload: payload, sig: strings.ToLower(sig),
		query: query, skipQuery: queryAmzSignature,
	}
	if _, sts, canonical, ok := c.match(r); !ok {
		return res, errSignatureMismatch(cred.accessKeyID, sig, sts, canonical)
	}
	return res, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
