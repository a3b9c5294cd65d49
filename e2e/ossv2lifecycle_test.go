package e2e

import (
	"context"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossflow/ossflow/oss"
)

// Lifecycle configuration of ossv2Engine, in the SDK's types both ways.

func (e *ossv2Engine) PutBucketLifecycle(ctx context.Context, name string, cfg oss.LifecycleConfiguration) error {
	sdk := &ossv2.LifecycleConfiguration{}
	for _, r := range cfg.Rules {
		sdk.Rules = append(sdk.Rules, toSDKRule(r))
	}
	_, err := e.c.PutBucketLifecycle(ctx, &ossv2.PutBucketLifecycleRequest{Bucket: &name, LifecycleConfiguration: sdk})
	return ossError("PutBucketLifecycle", err)
}

func (e *ossv2Engine) GetBucketLifecycle(ctx context.Context, name string) (oss.LifecycleConfiguration, error) {
	res, err := e.c.GetBucketLifecycle(ctx, &ossv2.GetBucketLifecycleRequest{Bucket: &name})
	if err != nil {
		return oss.LifecycleConfiguration{}, ossError("GetBucketLifecycle", err)
	}
	var cfg oss.LifecycleConfiguration
	if res.LifecycleConfiguration != nil {
		for _, r := range res.LifecycleConfiguration.Rules {
			cfg.Rules = append(cfg.Rules, fromSDKRule(r))
		}
	}
	return cfg, nil
}

func (e *ossv2Engine) DeleteBucketLifecycle(ctx context.Context, name string) error {
	_, err := e.c.DeleteBucketLifecycle(ctx, &ossv2.DeleteBucketLifecycleRequest{Bucket: &name})
	return ossError("DeleteBucketLifecycle", err)
}

func i32(p *int) *int32 {
	if p == nil {
		return nil
	}
	v := int32(*p)
	return &v
}

func intp(p *int32) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}

func toSDKRule(r oss.LifecycleRule) ossv2.LifecycleRule {
	s := ossv2.LifecycleRule{ID: ptr(r.ID), Prefix: ossv2.Ptr(r.Prefix), Status: ossv2.Ptr(r.Status)}
	for _, t := range r.Tags {
		s.Tags = append(s.Tags, ossv2.Tag{Key: ossv2.Ptr(t.Key), Value: ossv2.Ptr(t.Value)})
	}
	if f := r.Filter; f != nil {
		s.Filter = &ossv2.LifecycleRuleFilter{ObjectSizeGreaterThan: f.ObjectSizeGreaterThan, ObjectSizeLessThan: f.ObjectSizeLessThan}
		if n := f.Not; n != nil {
			not := ossv2.LifecycleRuleNot{Prefix: ossv2.Ptr(n.Prefix)}
			if n.Tag != nil {
				not.Tag = &ossv2.Tag{Key: ossv2.Ptr(n.Tag.Key), Value: ossv2.Ptr(n.Tag.Value)}
			}
			s.Filter.Nots = []ossv2.LifecycleRuleNot{not}
		}
	}
	if x := r.Expiration; x != nil {
		s.Expiration = &ossv2.LifecycleRuleExpiration{Days: i32(x.Days), CreatedBeforeDate: ptr(x.CreatedBeforeDate),
			ExpiredObjectDeleteMarker: x.ExpiredObjectDeleteMarker}
	}
	for _, t := range r.Transitions {
		s.Transitions = append(s.Transitions, ossv2.LifecycleRuleTransition{Days: i32(t.Days), CreatedBeforeDate: ptr(t.CreatedBeforeDate),
			StorageClass: ossv2.StorageClassType(t.StorageClass), IsAccessTime: t.IsAccessTime, ReturnToStdWhenVisit: t.ReturnToStdWhenVisit})
	}
	if a := r.AbortMultipartUpload; a != nil {
		s.AbortMultipartUpload = &ossv2.LifecycleRuleAbortMultipartUpload{Days: i32(a.Days), CreatedBeforeDate: ptr(a.CreatedBeforeDate)}
	}
	if n := r.NoncurrentVersionExpiration; n != nil {
		s.NoncurrentVersionExpiration = &ossv2.NoncurrentVersionExpiration{NoncurrentDays: ossv2.Ptr(int32(n.NoncurrentDays))}
	}
	for _, t := range r.NoncurrentVersionTransition {
		s.NoncurrentVersionTransitions = append(s.NoncurrentVersionTransitions, ossv2.NoncurrentVersionTransition{
			NoncurrentDays: ossv2.Ptr(int32(t.NoncurrentDays)), StorageClass: ossv2.StorageClassType(t.StorageClass)})
	}
	return s
}

func fromSDKRule(s ossv2.LifecycleRule) oss.LifecycleRule {
	r := oss.LifecycleRule{ID: ossv2.ToString(s.ID), Prefix: ossv2.ToString(s.Prefix), Status: ossv2.ToString(s.Status)}
	for _, t := range s.Tags {
		r.Tags = append(r.Tags, oss.LifecycleTag{Key: ossv2.ToString(t.Key), Value: ossv2.ToString(t.Value)})
	}
	if f := s.Filter; f != nil {
		r.Filter = &oss.LifecycleFilter{ObjectSizeGreaterThan: f.ObjectSizeGreaterThan, ObjectSizeLessThan: f.ObjectSizeLessThan}
		if len(f.Nots) > 0 {
			n := f.Nots[0]
			r.Filter.Not = &oss.LifecycleNot{Prefix: ossv2.ToString(n.Prefix)}
			if n.Tag != nil {
				r.Filter.Not.Tag = &oss.LifecycleTag{Key: ossv2.ToString(n.Tag.Key), Value: ossv2.ToString(n.Tag.Value)}
			}
		}
	}
	if x := s.Expiration; x != nil {
		r.Expiration = &oss.LifecycleExpiration{Days: intp(x.Days), CreatedBeforeDate: ossv2.ToString(x.CreatedBeforeDate),
			ExpiredObjectDeleteMarker: x.ExpiredObjectDeleteMarker}
	}
	for _, t := range s.Transitions {
		r.Transitions = append(r.Transitions, oss.LifecycleTransition{Days: intp(t.Days), CreatedBeforeDate: ossv2.ToString(t.CreatedBeforeDate),
			StorageClass: string(t.StorageClass), IsAccessTime: t.IsAccessTime, ReturnToStdWhenVisit: t.ReturnToStdWhenVisit})
	}
	if a := s.AbortMultipartUpload; a != nil {
		r.AbortMultipartUpload = &oss.LifecycleAbortMultipart{Days: intp(a.Days), CreatedBeforeDate: ossv2.ToString(a.CreatedBeforeDate)}
	}
	if n := s.NoncurrentVersionExpiration; n != nil && n.NoncurrentDays != nil {
		r.NoncurrentVersionExpiration = &oss.LifecycleNoncurrentExpiration{NoncurrentDays: int(*n.NoncurrentDays)}
	}
	for _, t := range s.NoncurrentVersionTransitions {
		if t.NoncurrentDays != nil {
			r.NoncurrentVersionTransition = append(r.NoncurrentVersionTransition, oss.LifecycleNoncurrentTransition{
				NoncurrentDays: int(*t.NoncurrentDays), StorageClass: string(t.StorageClass)})
		}
	}
	return r
}
