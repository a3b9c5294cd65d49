package oss

import "encoding/xml"

// LifecycleConfiguration is a bucket's lifecycle rules, in the XML form of
// PutBucketLifecycle (the engine stores it as given, validated).
type LifecycleConfiguration struct {
	XMLName xml.Name        `xml:"LifecycleConfiguration"`
	Rules   []LifecycleRule `xml:"Rule"`
}

// LifecycleRule is one rule.
type LifecycleRule struct {
	ID                          string                          `xml:"ID,omitempty"`
	Prefix                      string                          `xml:"Prefix"`
	Status                      string                          `xml:"Status"` // Enabled | Disabled
	Tags                        []LifecycleTag                  `xml:"Tag,omitempty"`
	Filter                      *LifecycleFilter                `xml:"Filter,omitempty"`
	Expiration                  *LifecycleExpiration            `xml:"Expiration,omitempty"`
	Transitions                 []LifecycleTransition           `xml:"Transition,omitempty"`
	AbortMultipartUpload        *LifecycleAbortMultipart        `xml:"AbortMultipartUpload,omitempty"`
	NoncurrentVersionExpiration *LifecycleNoncurrentExpiration  `xml:"NoncurrentVersionExpiration,omitempty"`
	NoncurrentVersionTransition []LifecycleNoncurrentTransition `xml:"NoncurrentVersionTransition,omitempty"`
}

// LifecycleTag is a tag filter of a rule.
type LifecycleTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// LifecycleFilter narrows a rule.
type LifecycleFilter struct {
	Not                   *LifecycleNot `xml:"Not,omitempty"`
	ObjectSizeGreaterThan *int64        `xml:"ObjectSizeGreaterThan,omitempty"`
	ObjectSizeLessThan    *int64        `xml:"ObjectSizeLessThan,omitempty"`
}

// LifecycleNot excludes a prefix (and tag) from a rule.
type LifecycleNot struct {
	Prefix string        `xml:"Prefix"`
	Tag    *LifecycleTag `xml:"Tag,omitempty"`
}

// LifecycleExpiration expires current versions by age or date, or removes
// expired delete markers.
type LifecycleExpiration struct {
	Days                      *int   `xml:"Days,omitempty"`
	CreatedBeforeDate         string `xml:"CreatedBeforeDate,omitempty"` // 2017-01-01T00:00:00.000Z
	ExpiredObjectDeleteMarker *bool  `xml:"ExpiredObjectDeleteMarker,omitempty"`
}

// LifecycleTransition changes the storage class (recorded, same media).
type LifecycleTransition struct {
	Days                 *int   `xml:"Days,omitempty"`
	CreatedBeforeDate    string `xml:"CreatedBeforeDate,omitempty"`
	StorageClass         string `xml:"StorageClass"`
	IsAccessTime         *bool  `xml:"IsAccessTime,omitempty"`
	ReturnToStdWhenVisit *bool  `xml:"ReturnToStdWhenVisit,omitempty"`
}

// LifecycleAbortMultipart aborts stale uploads.
type LifecycleAbortMultipart struct {
	Days              *int   `xml:"Days,omitempty"`
	CreatedBeforeDate string `xml:"CreatedBeforeDate,omitempty"`
}

// LifecycleNoncurrentExpiration expires noncurrent versions.
type LifecycleNoncurrentExpiration struct {
	NoncurrentDays int `xml:"NoncurrentDays"`
}

// LifecycleNoncurrentTransition transitions noncurrent versions.
type LifecycleNoncurrentTransition struct {
	NoncurrentDays int    `xml:"NoncurrentDays"`
	StorageClass   string `xml:"StorageClass"`
}
