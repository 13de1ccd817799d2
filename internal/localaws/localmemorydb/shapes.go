package localmemorydb

import "github.com/snapflow/snapflow/internal/localaws/emu"

// Wire shapes, member for member as the MemoryDB model (service-2.json)
// names them: PascalCase JSON keys, timestamps as epoch seconds (the awsJson
// default; the model's TStamp has no timestampFormat). Only the members the
// local MemoryDB fills are declared; empty ones are left out as AWS does.

// tagJSON is the model's Tag: Key and Value (a null Value is accepted).
type tagJSON struct {
	Key   *string `json:"Key,omitempty"`
	Value *string `json:"Value,omitempty"`
}

type endpointJSON struct {
	Address string `json:"Address,omitempty"`
	Port    int    `json:"Port"`
}

type nodeJSON struct {
	Name             string           `json:"Name"`
	Status           string           `json:"Status"`
	AvailabilityZone string           `json:"AvailabilityZone"`
	CreateTime       emu.EpochSeconds `json:"CreateTime"`
	Endpoint         *endpointJSON    `json:"Endpoint,omitempty"`
}

type shardJSON struct {
	Name          string     `json:"Name"`
	Status        string     `json:"Status"`
	Slots         string     `json:"Slots"`
	Nodes         []nodeJSON `json:"Nodes"`
	NumberOfNodes int        `json:"NumberOfNodes"`
}

type securityGroupJSON struct {
	SecurityGroupID string `json:"SecurityGroupId"`
	Status          string `json:"Status"`
}

type clusterJSON struct {
	Name                    string              `json:"Name"`
	Description             string              `json:"Description,omitempty"`
	Status                  string              `json:"Status"`
	NumberOfShards          int                 `json:"NumberOfShards"`
	Shards                  []shardJSON         `json:"Shards,omitempty"`
	AvailabilityMode        string              `json:"AvailabilityMode"`
	ClusterEndpoint         *endpointJSON       `json:"ClusterEndpoint,omitempty"`
	NodeType                string              `json:"NodeType"`
	Engine                  string              `json:"Engine"`
	EngineVersion           string              `json:"EngineVersion"`
	EnginePatchVersion      string              `json:"EnginePatchVersion"`
	ParameterGroupName      string              `json:"ParameterGroupName"`
	ParameterGroupStatus    string              `json:"ParameterGroupStatus"`
	SecurityGroups          []securityGroupJSON `json:"SecurityGroups,omitempty"`
	SubnetGroupName         string              `json:"SubnetGroupName"`
	TLSEnabled              bool                `json:"TLSEnabled"`
	KmsKeyID                string              `json:"KmsKeyId,omitempty"`
	ARN                     string              `json:"ARN"`
	SnapshotRetentionLimit  int                 `json:"SnapshotRetentionLimit"`
	MaintenanceWindow       string              `json:"MaintenanceWindow"`
	SnapshotWindow          string              `json:"SnapshotWindow"`
	ACLName                 string              `json:"ACLName"`
	AutoMinorVersionUpgrade bool                `json:"AutoMinorVersionUpgrade"`
	DataTiering             string              `json:"DataTiering"`
}

type shardConfigurationJSON struct {
	Slots        string `json:"Slots"`
	ReplicaCount int    `json:"ReplicaCount"`
}

type shardDetailJSON struct {
	Name                 string                 `json:"Name"`
	Configuration        shardConfigurationJSON `json:"Configuration"`
	Size                 string                 `json:"Size,omitempty"`
	SnapshotCreationTime *emu.EpochSeconds      `json:"SnapshotCreationTime,omitempty"`
}

type clusterConfigurationJSON struct {
	Name                   string            `json:"Name"`
	Description            string            `json:"Description,omitempty"`
	NodeType               string            `json:"NodeType"`
	Engine                 string            `json:"Engine"`
	EngineVersion          string            `json:"EngineVersion"`
	MaintenanceWindow      string            `json:"MaintenanceWindow"`
	Port                   int               `json:"Port"`
	ParameterGroupName     string            `json:"ParameterGroupName"`
	SubnetGroupName        string            `json:"SubnetGroupName"`
	VpcID                  string            `json:"VpcId"`
	SnapshotRetentionLimit int               `json:"SnapshotRetentionLimit"`
	SnapshotWindow         string            `json:"SnapshotWindow"`
	NumShards              int               `json:"NumShards"`
	Shards                 []shardDetailJSON `json:"Shards,omitempty"`
}

type snapshotJSON struct {
	Name                 string                   `json:"Name"`
	Status               string                   `json:"Status"`
	Source               string                   `json:"Source"`
	KmsKeyID             string                   `json:"KmsKeyId,omitempty"`
	ARN                  string                   `json:"ARN"`
	ClusterConfiguration clusterConfigurationJSON `json:"ClusterConfiguration"`
	DataTiering          string                   `json:"DataTiering"`
}

// --- requests (pointers tell "absent" from "empty") ---

type createClusterInput struct {
	ClusterName         *string   `json:"ClusterName"`
	NodeType            *string   `json:"NodeType"`
	ACLName             *string   `json:"ACLName"`
	Description         *string   `json:"Description"`
	NumShards           *int      `json:"NumShards"`
	NumReplicasPerShard *int      `json:"NumReplicasPerShard"`
	Engine              *string   `json:"Engine"`
	EngineVersion       *string   `json:"EngineVersion"`
	DataTiering         *bool     `json:"DataTiering"`
	TLSEnabled          *bool     `json:"TLSEnabled"`
	KmsKeyID            *string   `json:"KmsKeyId"`
	Port                *int      `json:"Port"`
	ParameterGroupName  *string   `json:"ParameterGroupName"`
	SubnetGroupName     *string   `json:"SubnetGroupName"`
	MaintenanceWindow   *string   `json:"MaintenanceWindow"`
	SnapshotWindow      *string   `json:"SnapshotWindow"`
	SnapshotRetention   *int      `json:"SnapshotRetentionLimit"`
	Tags                []tagJSON `json:"Tags"`
}

type describeClustersInput struct {
	ClusterName      *string `json:"ClusterName"`
	MaxResults       *int    `json:"MaxResults"`
	NextToken        *string `json:"NextToken"`
	ShowShardDetails *bool   `json:"ShowShardDetails"`
}

type deleteClusterInput struct {
	ClusterName       *string `json:"ClusterName"`
	FinalSnapshotName *string `json:"FinalSnapshotName"`
}

type createSnapshotInput struct {
	ClusterName  *string   `json:"ClusterName"`
	SnapshotName *string   `json:"SnapshotName"`
	KmsKeyID     *string   `json:"KmsKeyId"`
	Tags         []tagJSON `json:"Tags"`
}

type describeSnapshotsInput struct {
	ClusterName  *string `json:"ClusterName"`
	SnapshotName *string `json:"SnapshotName"`
	Source       *string `json:"Source"`
	NextToken    *string `json:"NextToken"`
	MaxResults   *int    `json:"MaxResults"`
	ShowDetail   *bool   `json:"ShowDetail"`
}

type copySnapshotInput struct {
	SourceSnapshotName *string   `json:"SourceSnapshotName"`
	TargetSnapshotName *string   `json:"TargetSnapshotName"`
	TargetBucket       *string   `json:"TargetBucket"`
	KmsKeyID           *string   `json:"KmsKeyId"`
	Tags               []tagJSON `json:"Tags"`
}

type deleteSnapshotInput struct {
	SnapshotName *string `json:"SnapshotName"`
}

type tagResourceInput struct {
	ResourceArn *string   `json:"ResourceArn"`
	Tags        []tagJSON `json:"Tags"`
}

type untagResourceInput struct {
	ResourceArn *string  `json:"ResourceArn"`
	TagKeys     []string `json:"TagKeys"`
}

type listTagsInput struct {
	ResourceArn *string `json:"ResourceArn"`
}

// str returns *p, or "" for nil.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
