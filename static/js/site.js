// PictureUs
