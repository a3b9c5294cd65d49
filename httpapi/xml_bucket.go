package httpapi

import "encoding/xml"

// XML documents of the service- and bucket-level operations.

type listAllMyBucketsResult struct {
	XMLName           xml.Name    `xml:"ListAllMyBucketsResult"`
	NS                string      `xml:"xmlns,attr,omitempty"`
	Prefix            string      `xml:"Prefix,omitempty"`
	Marker            string      `xml:"Marker,omitempty"`
	MaxKeys           int         `xml:"MaxKeys,omitempty"`
	IsTruncated       *bool       `xml:"IsTruncated,omitempty"`
	NextMarker        string      `xml:"NextMarker,omitempty"`
	Owner             *xmlOwner   `xml:"Owner"`
	Buckets           []xmlBucket `xml:"Buckets>Bucket"`
	ContinuationToken string      `xml:"ContinuationToken,omitempty"` // S3: the next page's token
}

type xmlBucket struct {
	// S3 order: Name, CreationDate, BucketRegion.
	Name             string `xml:"Name,omitempty"`
	CreationDate     string `xml:"CreationDate"`
	ExtranetEndpoint string `xml:"ExtranetEndpoint,omitempty"`
	IntranetEndpoint string `xml:"IntranetEndpoint,omitempty"`
	Location         string `xml:"Location,omitempty"`
	Region           string `xml:"Region,omitempty"`
	BucketRegion     string `xml:"BucketRegion,omitempty"`
	StorageClass     string `xml:"StorageClass,omitempty"`
	ResourceGroupID  string `xml:"ResourceGroupId,omitempty"`
}

// createBucketConfiguration is PutBucket's optional body (OSS fields and
// S3's LocationConstraint).
type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	StorageClass       string   `xml:"StorageClass"`
	DataRedundancyType string   `xml:"DataRedundancyType"`
	LocationConstraint string   `xml:"LocationConstraint"`
}

type bucketInfoResult struct {
	XMLName xml.Name      `xml:"BucketInfo"`
	Bucket  xmlBucketInfo `xml:"Bucket"`
}

type xmlBucketInfo struct {
	AccessMonitor          string    `xml:"AccessMonitor"`
	CreationDate           string    `xml:"CreationDate"`
	ExtranetEndpoint       string    `xml:"ExtranetEndpoint"`
	IntranetEndpoint       string    `xml:"IntranetEndpoint"`
	Location               string    `xml:"Location"`
	StorageClass           string    `xml:"StorageClass"`
	TransferAcceleration   string    `xml:"TransferAcceleration"`
	CrossRegionReplication string    `xml:"CrossRegionReplication"`
	Name                   string    `xml:"Name"`
	ResourceGroupID        string    `xml:"ResourceGroupId"`
	Owner                  *xmlOwner `xml:"Owner"`
	Grant                  string    `xml:"AccessControlList>Grant"`
	DataRedundancyType     string    `xml:"DataRedundancyType"`
	SSEAlgorithm           string    `xml:"ServerSideEncryptionRule>SSEAlgorithm"`
	Versioning             string    `xml:"Versioning,omitempty"`
	BlockPublicAccess      bool      `xml:"BlockPublicAccess"`
	Comment                string    `xml:"Comment"`
}

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	Value   string   `xml:",chardata"`
}

type bucketStatResult struct {
	XMLName                     xml.Name `xml:"BucketStat"`
	Storage                     int64    `xml:"Storage"`
	ObjectCount                 int64    `xml:"ObjectCount"`
	MultipartUploadCount        int64    `xml:"MultipartUploadCount"`
	LiveChannelCount            int64    `xml:"LiveChannelCount"`
	LastModifiedTime            int64    `xml:"LastModifiedTime"`
	StandardStorage             int64    `xml:"StandardStorage"`
	StandardObjectCount         int64    `xml:"StandardObjectCount"`
	InfrequentAccessStorage     int64    `xml:"InfrequentAccessStorage"`
	InfrequentAccessRealStorage int64    `xml:"InfrequentAccessRealStorage"`
	InfrequentAccessObjectCount int64    `xml:"InfrequentAccessObjectCount"`
	ArchiveStorage              int64    `xml:"ArchiveStorage"`
	ArchiveRealStorage          int64    `xml:"ArchiveRealStorage"`
	ArchiveObjectCount          int64    `xml:"ArchiveObjectCount"`
	ColdArchiveStorage          int64    `xml:"ColdArchiveStorage"`
	ColdArchiveRealStorage      int64    `xml:"ColdArchiveRealStorage"`
	ColdArchiveObjectCount      int64    `xml:"ColdArchiveObjectCount"`
	DeepColdArchiveStorage      int64    `xml:"DeepColdArchiveStorage"`
	DeepColdArchiveRealStorage  int64    `xml:"DeepColdArchiveRealStorage"`
	DeepColdArchiveObjectCount  int64    `xml:"DeepColdArchiveObjectCount"`
	DeleteMarkerCount           int64    `xml:"DeleteMarkerCount"`
}

type versioningConfiguration struct {
	XMLName xml.Name `xml:"VersioningConfiguration"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	Status  string   `xml:"Status,omitempty"`
}

// accessControlPolicy is the OSS ACL document (Grant is the canned ACL).
type accessControlPolicy struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Owner   xmlOwner `xml:"Owner"`
	Grant   string   `xml:"AccessControlList>Grant"`
}

// s3AccessControlPolicy is the S3 ACL document: explicit grants.
type s3AccessControlPolicy struct {
	XMLName xml.Name  `xml:"AccessControlPolicy"`
	NS      string    `xml:"xmlns,attr"`
	Owner   xmlOwner  `xml:"Owner"`
	Grants  []s3Grant `xml:"AccessControlList>Grant"`
}

type s3Grant struct {
	Grantee    s3Grantee `xml:"Grantee"`
	Permission string    `xml:"Permission"`
}

type s3Grantee struct {
	XSI         string `xml:"xmlns:xsi,attr"`
	Type        string `xml:"xsi:type,attr"`
	ID          string `xml:"ID,omitempty"`
	DisplayName string `xml:"DisplayName,omitempty"`
	URI         string `xml:"URI,omitempty"`
}
